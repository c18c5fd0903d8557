# Two commands for a newcomer: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
METHOD ?= dfq
NPROC ?= 1
CONSTRAINTS := requirements/constraints.txt
# The digits models are tiny: one intra-op thread per process is faster than
# OpenMP threads that spin against each other (and against other jobs) on a
# 2-core machine. Set it yourself to override.
export OMP_NUM_THREADS ?= 1

.PHONY: demo demo-fmnist demo-seg demo-fedgen test env clean \
	data-fashion-mnist gpu-wheels

env: $(VENV)/.installed

# The pinned stack (constraints keep torch at the tested CPU/CUDA build),
# mmcv-lite unless a full mmcv is already there, then mmdfkd itself.
$(VENV)/.installed: setup.py $(CONSTRAINTS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -c $(CONSTRAINTS) "setuptools<81" wheel
	$(PY) -m pip install -q -c $(CONSTRAINTS) torch torchvision
	$(PY) -c "import mmcv" 2>/dev/null || \
		$(PY) -m pip install -q -c $(CONSTRAINTS) mmcv-lite
	$(PY) -m pip install -q -c $(CONSTRAINTS) --no-build-isolation -e ".[tests]"
	touch $@

demo: env
	$(PY) tools/demo.py --method $(METHOD) --nproc $(NPROC)

# Fashion-MNIST, pair (b): the data linked, the teacher trained once (cached
# in work_dirs/fashion_mnist_convnet/teacher.pth, where the method configs
# read it), the task's best data-free
# method (or METHOD=... given on the command line), the test split:
# work_dirs/demo_fmnist/summary.json
demo-fmnist: env data-fashion-mnist
	$(PY) tools/demo.py --task fmnist \
		$(if $(filter command line,$(origin METHOD)),--method $(METHOD))

# Data-free DDAD segmentation on synthetic street scenes (tools/demo_seg.py).
demo-seg: env
	$(PY) tools/demo_seg.py

# FedGen vs FedAvg, 3 seeds: Fashion-MNIST (K = 20 clients, Dirichlet 0.1)
# when data/fashion_mnist holds its files (make data-fashion-mnist), the
# bundled digits (K = 10) otherwise; work_dirs/demo_fedgen/summary.json
demo-fedgen: env
	$(PY) tools/demo_fedgen.py

# Fashion-MNIST's official IDX files from Debian's dataset-fashion-mnist
# (installed when missing and run as root; otherwise the command is
# printed), linked where the configs read them.
FMNIST_SYSTEM := /usr/share/datasets/fashion-mnist
FMNIST_DIR := data/fashion_mnist
FMNIST_FILES := train-images-idx3-ubyte.gz train-labels-idx1-ubyte.gz \
	t10k-images-idx3-ubyte.gz t10k-labels-idx1-ubyte.gz

data-fashion-mnist: $(addprefix $(FMNIST_DIR)/,$(FMNIST_FILES))

$(FMNIST_DIR)/%.gz:
	@test -f $(FMNIST_SYSTEM)/$*.gz || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	      dataset-fashion-mnist || { apt-get update -q && \
	      DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
	      dataset-fashion-mnist; }; \
	  else \
	    echo "Fashion-MNIST is missing: run" \
	      "'sudo apt-get install -y dataset-fashion-mnist'" \
	      "then 'make data-fashion-mnist' again."; exit 1; \
	  fi; }
	@mkdir -p $(FMNIST_DIR)
	ln -sf $(FMNIST_SYSTEM)/$*.gz $@

# Wheels of the OpenMMLab stack (pure Python) and of the few dependencies a
# lent GPU machine's image lacks, for Python 3.12 on x86-64, into
# $(GPU_WHEELS) (git-ignored): tools/gpu_check.sh installs them there with
# --no-deps, so that machine's own torch stays. See docs/benchmarks.md.
GPU_WHEELS := .gpu_wheels
GPU_PLATFORMS := manylinux_2_28_x86_64 manylinux_2_17_x86_64 \
	manylinux2014_x86_64 any

# Emptied first: two versions of one package would stop the install there.
gpu-wheels:
	rm -rf $(GPU_WHEELS)
	$(PYTHON) -m pip download -q --no-deps --only-binary=:all: \
		--python-version 3.12 --implementation cp \
		$(addprefix --platform ,$(GPU_PLATFORMS)) \
		-c $(CONSTRAINTS) -r requirements/gpu_wheels.txt -d $(GPU_WHEELS)
	@du -sh $(GPU_WHEELS) | awk '{print "$(GPU_WHEELS): " $$1 \
		" (the device tool carries at most 64 MiB)"}'

# TEST_JOBS pytest workers (pytest-xdist; 1 runs the tests in one
# process). Each worker takes whole test modules (--dist loadscope), so a
# module's fixtures, e.g. a trained model, are built once.
TEST_JOBS ?= 2
test: env
	$(PY) -m pytest -q --durations=25 \
		$(if $(filter-out 1,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadscope) tests

clean:
	rm -rf work_dirs
