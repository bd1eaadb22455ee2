# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

# Offline by default: no Prefect telemetry, Prefect state inside the project.
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export PREFECT_HOME ?= $(CURDIR)/.prefect

.PHONY: demo test venv chromium java lint sample bench clean

venv: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,spark]'
	touch $(STAMP)

demo: venv chromium
	$(BIN)/feidan demo

# pytest exits 5 when it collected no tests: that is a broken suite, not a pass.
test: venv chromium java
	$(BIN)/python -m pytest; rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing" >&2; exit 1; fi; exit $$rc

# Debian's chromium renders the report in a test (and for screenshots); a CJK font so
# Chinese shows as text, not boxes. Installed from Debian: browser downloads fail offline.
chromium:
	@if command -v chromium >/dev/null && fc-list :lang=zh 2>/dev/null | grep -q .; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's chromium and a Chinese font (about 30 s)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null; \
	else echo "needs Debian's chromium: sudo apt-get install -y chromium fonts-wqy-zenhei" >&2; exit 1; fi

# Spark (the equality test, `--engine spark`) runs on a JVM: Debian's Java 17 runtime.
java:
	@if command -v java >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "installing Debian's Java 17 runtime for Spark (about 30 s)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; \
	else echo "needs Java 17 for Spark: sudo apt-get install -y openjdk-17-jre-headless" >&2; exit 1; fi

lint: venv
	$(BIN)/ruff check .

# The committed sample bundle (~50 managers); regenerate after generator changes.
sample: venv
	rm -rf data/sample_bundle
	$(BIN)/feidan generate --managers 50 --months 6 --seed 42 --out data/sample_bundle

bench: venv
	$(BIN)/feidan bench --managers 2000 --months 12

clean:
	rm -rf $(VENV) .prefect data/demo data/bench *.egg-info
