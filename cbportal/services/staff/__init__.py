"""What platform staff do: the staff desk for customers and vendors, product review, the email gallery
(R8).

Modules: desk, products, samples.
"""
