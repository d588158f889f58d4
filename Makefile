# antrean — the two commands people need are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: install demo test lint audit audit-ci audit-tool test-sqlite test-postgres chaos bench bench-scaleout bench-rush lock clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "antrean needs Python 3.11 or newer ($(PYTHON) is older)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

# Install, migrate, seed the demo offices and start web + worker on SQLite
# (http://127.0.0.1:$PORT, default 8000).
demo: install
	$(BIN)/antrean migrate --noinput
	$(BIN)/antrean seed-demo
	$(BIN)/antrean run

# The whole suite on SQLite, then again on a throwaway PostgreSQL cluster.
test: install lint test-sqlite test-postgres

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Known vulnerabilities in every pinned dependency (pip-audit, from its own tool venv in
# .venv/audit-tool, so the project's lock stays as it is). The lock pins transitive
# packages too, so nothing is resolved (--no-deps --disable-pip); --strict fails when a
# package cannot be looked up, instead of calling a run that audited nothing clean.
AUDIT := $(VENV)/audit-tool/bin/pip-audit --requirement requirements.lock --no-deps \
	--disable-pip --strict --progress-spinner off

audit-tool:
	test -x $(VENV)/audit-tool/bin/pip-audit || { $(PYTHON) -m venv $(VENV)/audit-tool \
		&& $(VENV)/audit-tool/bin/pip install --quiet --disable-pip-version-check 'pip-audit>=2.7'; }

audit: audit-tool
	$(AUDIT)

# CI's audit (.ci/run): the same, when PyPI's per-release JSON, which pip-audit reads, can
# be reached; where it cannot (this project's machines: the package index answers, that
# API says 404) it reports the audit as NOT RUN instead of failing every package
# (tools/audit.py, docs/security.md).
audit-ci: audit-tool
	$(PYTHON) tools/audit.py $(AUDIT)

test-sqlite: install
	$(BIN)/pytest $(PYTEST_ARGS)

test-postgres: install
	$(BIN)/python tools/postgres.py -- $(BIN)/pytest $(PYTEST_ARGS)

# The fault tests (antrean/ops/tests/test_faults.py) for minutes instead of seconds:
# CHAOS_SECONDS of traffic from CHAOS_APPLICANTS people, the fault repeated every 25 s
# throughout, every scenario on SQLite and then on a throwaway PostgreSQL cluster (`test`
# runs them short, some on one database only). CHAOS_SEED=n replays a run's Graph API
# failures. Not part of `test`: about half an hour with these defaults.
CHAOS_SECONDS ?= 180
CHAOS_APPLICANTS ?= 400
chaos: install
	CHAOS_SECONDS=$(CHAOS_SECONDS) CHAOS_APPLICANTS=$(CHAOS_APPLICANTS) \
		$(BIN)/pytest antrean/ops/tests/test_faults.py $(PYTEST_ARGS)
	CHAOS_SECONDS=$(CHAOS_SECONDS) CHAOS_APPLICANTS=$(CHAOS_APPLICANTS) \
		$(BIN)/python tools/postgres.py -- $(BIN)/pytest antrean/ops/tests/test_faults.py $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/rush.py
	$(BIN)/python bench/deliver.py
	$(BIN)/python bench/worker.py
	$(BIN)/python bench/e2e.py
	$(MAKE) bench-scaleout

# Benchmark 4 of issue 9: end to end on PostgreSQL (a throwaway cluster with durable
# commits, as SQLite's are) and Redis, with 2 web and 2 worker processes.
bench-scaleout: install
	WEB_WORKERS=2 BENCH_WORKERS=2 $(BIN)/python tools/postgres.py --durable -- \
		$(BIN)/python tools/with_redis.py -- $(BIN)/python bench/e2e.py

# The quota release rush through the webhook, real processes: 20,000 people in a minute
# (BENCH_RUSH_ENTRIES, BENCH_RUSH_SECONDS), then the draw and everyone's answer. About an
# hour on SQLite on a 2-core machine, so not part of `bench`.
bench-rush: install
	$(BIN)/python bench/rush_webhook.py

# Re-pin every dependency after changing pyproject.toml.
lock:
	rm -rf .lockvenv && $(PYTHON) -m venv .lockvenv
	.lockvenv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	.lockvenv/bin/python -m pip freeze --exclude-editable --disable-pip-version-check \
		| grep -v '^antrean' > requirements.lock
	rm -rf .lockvenv

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
