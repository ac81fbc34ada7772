# Thin aliases for nox sessions (noxfile.py is where tasks live). Each target bootstraps uv
# and nox on a fresh machine, so `make smoke` and `make test` work right after a clone.
# UV_VERSION, NOX_VERSION: the versions pinned in more than one file (pins.env).
include $(dir $(lastword $(MAKEFILE_LIST)))pins.env
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo "$(PYTHON) -m uv")
NOX := $(UV) tool run --from "nox[uv]==$(NOX_VERSION)" nox

.PHONY: bootstrap test smoke lint build clean deploy cloud-smoke

bootstrap:
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m uv --version >/dev/null 2>&1 \
		|| $(PYTHON) -m pip install --quiet "uv==$(UV_VERSION)"

test: bootstrap
	$(NOX) -s tests tests_e2e tests_terraform

smoke: bootstrap
	$(NOX) -s smoke

lint: bootstrap
	$(NOX) -s lint

build: bootstrap
	$(NOX) -s build

clean: bootstrap
	$(NOX) -s clean

deploy: bootstrap
	$(NOX) -s deploy

cloud-smoke: bootstrap
	$(NOX) -s cloud_smoke
