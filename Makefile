# One command to try Krates (`make demo`), one to test it (`make test`).
# Both install what they need on Debian/Ubuntu: the system libraries Qt loads
# (with apt-get, as root or through sudo) and the Python packages (in .venv).

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

# Qt offscreen and under Xvfb, screenshots, and the programs the terminal tests run.
APT_PACKAGES := libglib2.0-0 libgl1 libegl1 libfontconfig1 libxkbcommon0 libdbus-1-3 \
	xvfb xauth libx11-xcb1 libxcb-cursor0 libxcb-icccm4 libxcb-image0 libxcb-keysyms1 \
	libxcb-randr0 libxcb-render-util0 libxcb-shape0 libxcb-xkb1 libxkbcommon-x11-0 \
	imagemagick procps vim-tiny vim python3-venv \
	redis-server gnome-keyring dbus-daemon dbus-bin nodejs \
	xdg-utils desktop-file-utils appstream zstd

.PHONY: demo test bundle system-deps venv sandbox screenshot lint clean

demo: system-deps venv
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		echo "No display: running the demo under Xvfb (screenshot: make screenshot)"; \
		xvfb-run -a -s "-screen 0 1600x1000x24" $(VENV)/bin/krates --demo; \
	else $(VENV)/bin/krates --demo; fi

test: system-deps venv
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -p no:cacheprovider

# The one-folder bundle dist/krates/ (krates, krates-signal, install.sh); see packaging/README.md.
bundle: system-deps venv
	$(PY) -m PyInstaller --noconfirm --log-level WARN packaging/krates.spec

system-deps:
	@missing=$$(for p in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "Installing Debian packages: $$missing"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@# Yjs for the interop tests (npm ships with the machine's Node.js).
	npm install --silent --prefix $(VENV)/js --no-audit --no-fund yjs@13.6.33 y-protocols@1.0.6
	touch $@

sandbox: venv
	$(VENV)/bin/krates sandbox --port 0 --kubeconfig krates-sandbox.kubeconfig

screenshot: system-deps venv
	xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) docs/screenshot.py docs/screenshot.png

lint: venv
	$(VENV)/bin/ruff check krates_desktop tests

clean:
	rm -rf $(VENV) build dist *.egg-info
