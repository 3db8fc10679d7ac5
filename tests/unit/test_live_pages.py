"""Every live page says what a change re-reads: `LivePage.watch` follows with the page's
`_live_refresh(actor)`, which the mixin leaves to each page (issue 13: one follower for all)."""

from cbportal import pages
from cbportal.state import live_feed

pages.import_all(test_mode=True)


def _live_pages():
    found, todo = [], list(live_feed.LivePage.__subclasses__())
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def test_the_four_live_pages_each_define_what_a_change_rereads():
    names = {cls.__name__ for cls in _live_pages()}
    assert {"VendorHomeState", "VendorTicketsState", "VendorTicketState", "CustomerTicketState"} <= names
    for cls in _live_pages():
        assert callable(getattr(cls, "_live_refresh", None)), cls.__name__
        assert {"watch", "stop_watching"} <= set(cls.event_handlers) or cls.get_parent_state() in _live_pages()
