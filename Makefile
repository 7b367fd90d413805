# The two everyday commands: `make run` (the bot on the embedded defaults: without Slack
# settings, a local Slack playground at the address it prints, http://127.0.0.1:3000/?token=...)
# and `make test`.
# Both create .venv on first use and install the project into it.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run check sandbox test test-slow test-all bench bench-large lint typecheck format messages screenshots clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed: run make with PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/billpay run

check: $(STAMP)
	$(BIN)/billpay check

sandbox: $(STAMP)
	$(BIN)/billpay sandbox

# The tests run on every core (pytest-xdist); the browser's tests stay on one worker together.
# `make test` leaves out the slow ones (browser, other processes, several replicas, large
# data) and says so; `make test-slow` runs only those, `make test-all` everything.
PYTEST := $(BIN)/pytest -n auto --dist loadgroup

test: $(STAMP)
	$(PYTEST) -m "not slow"

test-slow: $(STAMP)
	$(PYTEST) -m slow

test-all: $(STAMP)
	$(PYTEST)

bench: $(STAMP)
	$(BIN)/python -m bench.payables_slots
	$(BIN)/python -m bench.home_redraws
	$(BIN)/python -m bench.payables
	$(BIN)/python -m bench.slack_flow
	$(BIN)/python -m bench.first_words
	$(BIN)/python -m bench.digest
	$(BIN)/python -m bench.playground_start
	$(BIN)/python -m bench.slack_fuzz
	$(BIN)/python -m bench.webhooks
	$(BIN)/python -m bench.scale --sizes 500 5000

# The payables side at a mid-size company's scale: 5,000 more outstanding bills (a few minutes);
# then the bot at 500, 5,000 and 50,000 outstanding bills, and the digests of 200 channels of
# companies of 5,000 bills from the mirror (bench/scale/; see the figures in docs/testing.md).
bench-large: $(STAMP)
	$(BIN)/python -m bench.payables --bills 5000 --rounds 3
	$(BIN)/python -m bench.scale --sizes 500 5000 50000 --digest-channels 200

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Extracts the strings marked for translation and merges them into billpay/locale/*/LC_MESSAGES.
messages: $(STAMP)
	$(BIN)/python -m billpay.core.catalogs

# The README's pictures, taken from the playground with Chromium (apt-get install chromium).
screenshots: $(STAMP)
	@.ci/apt-install chromium /usr/bin/chromium "the screenshots need it"
	@.ci/apt-install fonts-noto-color-emoji /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf \
		"emoji in the screenshots show as empty boxes"
	$(BIN)/python -m testkit.screenshots

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .billpay
