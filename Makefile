# Two entry points (see README): `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean

$(STAMP): pyproject.toml sandbox/pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]" -e ./sandbox
	touch $(STAMP)

# The main job on the embedded default: SQLite, the Omnium sandbox, both engines. The demo
# settings add what the stub's production-safe settings leave out (DEBUG, keys).
demo: $(STAMP)
	DJANGO_SETTINGS_MODULE=flow_stub_project.demo_settings $(BIN)/python manage.py omnium_demo

# The whole suite (slow tests included) on SQLite; set DATABASE_URL for PostgreSQL.
test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var build *.egg-info
