"""Page data: one module per page, ``build_<page>(...) -> <Page>View`` (a frozen dataclass),
so a page only renders."""
