# Two commands for a newcomer (see README):
#   make serve   install everything, start the server on SQLite with demo data
#   make test    install everything, run the whole suite on SQLite and PostgreSQL
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The GraphQL-over-HTTP audit (graphql-http, from the npm registry), run by the test suite.
AUDIT := tests/http_audit/node_modules/.package-lock.json

.PHONY: install serve test browser screenshots test-sqlite test-postgres schema migration bench-tools clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

serve: install
	$(BIN)/python -m app serve --demo --access-log

$(AUDIT): tests/http_audit/package.json tests/http_audit/package-lock.json
	cd tests/http_audit && npm ci --no-audit --no-fund --silent
	touch $(AUDIT)

# The browser tests drive Debian's chromium (Playwright's own browser download is not reachable).
browser:
	command -v chromium >/dev/null || apt-get install -y chromium || (apt-get update && apt-get install -y chromium)

# SQLite always; PostgreSQL when reachable (required under CI=true).
test: install $(AUDIT) browser
	bash scripts/test.sh

# The order page's screenshots in docs/ (README), taken by the browser tests.
screenshots: install browser
	ORDERGRAPH_SCREENSHOTS=docs $(BIN)/python -m pytest tests/browser -k customer_page

test-sqlite: install
	ORDERGRAPH_TEST_ENGINE=sqlite $(BIN)/python -m pytest

test-postgres: install
	ORDERGRAPH_TEST_ENGINE=postgres $(BIN)/python -m pytest

# Re-export schema.graphql and possibleTypes.json after changing the schema (a test fails while either is stale).
schema: install
	$(BIN)/python -m app export-schema > schema.graphql
	$(BIN)/python -m app export-possible-types > possibleTypes.json

# Write the migration for a model change: make migration name=add_something (then review it).
migration: install
	$(BIN)/tortoise -c db.config.TORTOISE_ORM makemigrations -n $(name)

# The load generator the benchmarks drive servers with (bench/, ../shared/bench-floor), from Debian.
# wrk drives the benchmarks (bench/compare.sh); py-spy samples the server for bench/profile.py.
bench-tools: install
	command -v wrk >/dev/null || apt-get install -y wrk || (apt-get update && apt-get install -y wrk)
	test -x $(BIN)/py-spy || $(BIN)/python -m pip install --quiet py-spy

clean:
	rm -rf $(VENV) data .pytest_cache tests/http_audit/node_modules
