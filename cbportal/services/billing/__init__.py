"""Money: products, checkout, charges and rebills, dunning, refunds, subscriptions, orders and reports
(R1, R5, R6, R7), and the payment gateways.

Modules: affiliates, charges, checkout, dunning, gateways, initial_charges, mail, my_orders, offers, orders,
products, purchase, receipt_doc, refunds, reports, subscriber_list, subscriptions, transactions.
"""
