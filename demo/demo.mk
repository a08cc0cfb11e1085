# `make demo`: the seed's experiment (the seed's servers as PID 1 of fresh PID namespaces) in five
# columns: bare, reap.so via LD_PRELOAD, tini, dumb-init, catatonit. Needs root; installs what is
# missing from Debian's packages; results go to demo/results/.
#   make demo QUICK=1         wsgiref only, python3 only, a few seconds (installs nothing)
#   make demo RUNTIME=podman  the same in real containers (rootful podman, no image needed)
#   make demo DEMO_ARGS='--servers gunicorn,apache --requests 20'   (see demo/reapdemo.py --help)
DEMO_FLAGS := $(if $(filter-out 0 no false,$(QUICK)),--quick) \
              $(if $(RUNTIME),--runtime $(RUNTIME))

.PHONY: demo
demo: $(BUILD)/reap.so
	@demo/run.sh $(DEMO_FLAGS) --shim $(BUILD)/reap.so $(DEMO_ARGS)
