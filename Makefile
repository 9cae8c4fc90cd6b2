# The README's commands. `make serve` and `make test` each set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup serve index test lint bench bench-quality clean

setup: $(STAMP)

# torch is installed first and pinned: `pip install torch==2.13.0` takes the CPU build from this
# machine's disk; an unpinned torch (pulled in by sentence-transformers) would be a multi-GB CUDA build.
# Measured on 2 busy cores: 2 minutes for torch, 4 for the rest; every 20 s a line says it goes on.
$(STAMP): pyproject.toml
	@echo "Setting up $(VENV) with PyTorch's CPU build and the other packages: 2 to 6 minutes" \
		"the first time, less when only pyproject.toml changed; later runs start at once."
	$(PYTHON) -m venv $(VENV)
	@$(BIN)/pip install --quiet --upgrade pip
	@scripts/long-step "Installing PyTorch 2.13.0, CPU build (the largest package)..." \
		$(BIN)/pip install --quiet torch==2.13.0
	@scripts/long-step "Installing qa-news and its other packages..." \
		$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)
	@echo "$(VENV) is ready."

serve: setup
	$(BIN)/qa serve

index: setup
	$(BIN)/qa index

test: setup
	scripts/ensure-chromium
	$(BIN)/python -m pytest

lint: setup
	$(BIN)/ruff check qa tests bench
	$(BIN)/ruff format --check qa tests bench
	$(BIN)/mypy qa

bench: setup
	$(BIN)/python -m bench.run

# MultiHop-RAG dev/test and XQuAD-en tables (indexes cached under QA_CACHE, default .cache/).
bench-quality: setup
	$(BIN)/python -m bench.quality

clean:
	rm -rf $(VENV) index/current index/versions index/.build.lock .pytest_cache
