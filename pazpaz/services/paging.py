"""Page arithmetic shared by every paginated list."""

from __future__ import annotations


def clamp(total: int, page: int, page_size: int) -> tuple[int, int]:
    """(page, pages): pages is at least 1 and page lies within 1..pages."""
    pages = max(1, -(-total // page_size))
    return min(max(page, 1), pages), pages
