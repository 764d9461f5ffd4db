"""The orders list's search (``orders(search:)``), in SQL: an order matches when its number starts with
the text or its customer's email or name holds it, compared on the case-folded key columns
(``repository.order_keys``) with LIKE's wildcards taken literally. The same orders on both engines,
found through the search indexes of migration 0011 when the text is long enough for them.

- PostgreSQL: LIKE on the key columns, which the planner answers with the trigram (and number
  pattern) indexes when few orders match, or by walking the list's own index when many do. The
  patterns (and the page size) are written into the statement as literals, not parameters: from its
  sixth run on, a prepared statement may be given a generic plan, made without the patterns
  (PostgreSQL takes it whenever it looks no dearer than the custom plans so far), and that plan walks
  all of a store's 1,000,000 orders for a search matching three: ~1 s (bench/RESULTS.md).
- SQLite: LIKE alone for texts under three characters (no trigram in them). Longer ones ask the
  FTS5 trigram index ``order_search`` first, in the same statement: SQLite plans a statement before
  it knows how many orders match, so the statement holds both ways and the index's count (up to a
  cap) picks one, through their LIMITs. Up to the cap, the orders are read from the index's matches;
  beyond it, the list is walked in its order and each order checked with LIKE, which fills a page
  sooner than reading every match would.
"""

from __future__ import annotations

#: The trigram index answers texts of at least this many characters.
TRIGRAM = 3
#: SQLite, a page: up to this many orders matching in the index (any store's), read the matches; more,
#: walk the list. Measured on 1,000,000 orders: both ways take about as long near 2,000 (~30 ms).
PAGE_FEW = 2_000
#: SQLite, a count: counting the matches beats counting the store's orders up to ~60,000 matches.
COUNT_FEW = 50_000


def like_clause(text: str, value) -> str:
    """The search as LIKE conditions on ``orders``; ``value`` turns a pattern into SQL (a placeholder,
    or on PostgreSQL a literal)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    prefix, inside = value(escaped + "%"), value("%" + escaped + "%")
    return (f'("number_key" LIKE {prefix} ESCAPE \'\\\' OR "customer_email_key" LIKE {inside} ESCAPE \'\\\' '
            f'OR "customer_name_key" LIKE {inside} ESCAPE \'\\\')')


def pg_literal(text: str) -> str:
    """``text`` as a PostgreSQL string literal: E'...' with backslashes and quotes doubled, which reads
    the same whatever ``standard_conforming_strings`` says."""
    if "\x00" in text:
        raise ValueError("PostgreSQL text cannot hold NUL")
    return "E'" + text.replace("\\", "\\\\").replace("'", "''") + "'"


def indexed(text: str | None) -> bool:
    """Whether SQLite's trigram index can find ``text``."""
    return text is not None and len(text) >= TRIGRAM


def fts_query(text: str) -> str:
    """The FTS5 query matching what ``like_clause`` matches: one phrase (quoted, so that nothing in
    it is FTS syntax), at the start of the number or anywhere in the email or name. The tokenizer is
    case-sensitive and the keys are case-folded: a phrase of trigrams matches exactly its substrings."""
    phrase = '"' + text.replace('"', '""') + '"'
    return f"(number_key : ^ {phrase}) OR ({{customer_email_key customer_name_key}} : {phrase})"


def _either(match: str, few: int) -> tuple[str, str, str]:
    """The common table expressions (the index's matches up to ``few`` + 1, and whether that is all of
    them) and the FROM clauses of the two ways: the list itself, or the orders the index found."""
    ctes = (f'WITH "hits" AS (SELECT "rowid" FROM "order_search" WHERE "order_search" MATCH {match} '
            f'LIMIT {few + 1}), "few" AS MATERIALIZED (SELECT COUNT(*) <= {few} AS "yes" FROM "hits") ')
    found = ('"hits" AS h CROSS JOIN "order_search_rows" AS r ON r."rowid" = h."rowid" '
             'CROSS JOIN "orders" AS o ON o."id" = r."order_id"')
    return ctes, '"orders" AS o', found


def _limit(many: str, few: str) -> str:
    """A LIMIT that depends on which way was picked; a way limited to 0 is not run at all."""
    return f'LIMIT (SELECT CASE WHEN "yes" THEN {few} ELSE {many} END FROM "few")'


def sqlite_page(*, columns: str, where: str, sort: str, way: str, limit: int, match: str) -> str:
    """A page (``limit`` rows in ``sort`` ``way``, then id) of the orders ``where`` says, either way."""
    ctes, walked, found = _either(match, PAGE_FEW)
    order = f'ORDER BY o."{sort}" {way}, o."id" {way}'
    chosen = f'{columns}, o."{sort}" AS "sort_key"'
    return (f"{ctes}SELECT * FROM (SELECT {chosen} FROM {walked} WHERE {where} {order} {_limit(str(limit), '0')}) "
            f"UNION ALL SELECT * FROM (SELECT {chosen} FROM {found} WHERE {where} {order} {_limit('0', str(limit))}) "
            f'ORDER BY "sort_key" {way}, "id" {way}')


def sqlite_count(*, where: str, match: str) -> str:
    """How many orders ``where`` says, either way (a LIMIT of -1 is none)."""
    ctes, walked, found = _either(match, COUNT_FEW)
    return (f"{ctes}SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM {walked} WHERE {where} {_limit('-1', '0')})) "
            f'+ (SELECT COUNT(*) FROM (SELECT 1 FROM {found} WHERE {where} {_limit("0", "-1")})) AS "n"')
