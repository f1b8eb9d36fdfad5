# Two commands for a reader:
#   make all    set up the environment, get the data, execute the notebooks 01-08 top to bottom
#   make test   get the data if missing, then run every test: pytest --nbval over tests/ and
#               notebooks/, on two workers
#               (each notebook stays on one worker, its cells in order); the stored outputs
#               hold on any CPU: TF_ENABLE_ONEDNN_OPTS=0 make test passes too (docs/testing.md)
# and one for a teacher:
#   make student  write student/0*.ipynb, the notebooks to assign: no solutions, a cell to fill
#                 in and a self-check under each exercise (student/ is not committed)
PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
# TensorFlow's C++ log lines must not reach the notebooks' stored outputs (gemlib sets the same
# default; this covers kernels that import TensorFlow first)
TF_CPP_MIN_LOG_LEVEL ?= 3
export TF_CPP_MIN_LOG_LEVEL

.PHONY: all setup data notebooks test student benchmarks clean-venv

all: setup data notebooks

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip

setup: $(PY)
	$(PY) -m pip install -e ".[test]"

data: setup
	$(PY) -m gemlib download gemstones
	$(PY) -m gemlib download architecture

# each notebook in its own kernel, top to bottom; two at a time (they share no files)
notebooks: setup
	cd notebooks && ls 0*.ipynb | xargs -n 1 -P 2 ../$(VENV)/bin/jupyter nbconvert --to notebook \
		--execute --inplace --ExecutePreprocessor.timeout=3600
	$(PY) tools/notebook_hygiene.py notebooks/0*.ipynb

# TESTS narrows the run (default: tests/ and notebooks/), e.g. make test TESTS=notebooks
TESTS ?=
test: setup data
	$(PY) -m pytest --nbval -n 2 --dist loadfile $(TESTS)

# the teacher's notebooks stay as they are; the student edition is written beside them
student: setup
	$(PY) tools/student_edition.py --out student notebooks/0*.ipynb

benchmarks: setup
	$(PY) benchmarks/train_throughput.py
	$(PY) benchmarks/vargrad_speed.py

clean-venv:
	rm -rf $(VENV)
