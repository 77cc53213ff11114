# Build targets for `sam build` (BuildMethod: makefile). SAM runs
# `make build-<LogicalId>` with ARTIFACTS_DIR set; every target delegates to the
# one build definition, scripts/build.mjs, that `npm run build` uses too, so the
# deployed artefacts and the tested ones cannot drift apart.
#
# Prerequisite: `npm ci` (esbuild and the bundled dependencies come from node_modules).
# Manual use: make build-PreflightFunction ARTIFACTS_DIR=/tmp/out

ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))
NODE ?= node
BUILD := $(NODE) $(ROOT)/scripts/build.mjs

.PHONY: build-PreflightFunction build-CorsLayer build-RedeployFunction build-CompilerFunction check-env

check-env:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set (sam build sets it; for a manual build pass ARTIFACTS_DIR=DIR)" >&2; exit 2; }
	@test -d "$(ROOT)/node_modules/esbuild" || { echo "node_modules is missing in $(ROOT): run npm ci first" >&2; exit 2; }

# -> $(ARTIFACTS_DIR)/index.mjs (ES module entry: loads the policies in the init phase, then exports
#    handler; Handler: index.handler) + preflight.cjs, public-suffixes.txt (the Public Suffix List,
#    read on the first wildcard check), and ssm-sdk.js (the SDK client with its credential chain,
#    loaded only off the light-client path)
build-PreflightFunction: check-env
	$(BUILD) --only preflight --outdir "$(ARTIFACTS_DIR)"

# -> $(ARTIFACTS_DIR)/nodejs/node_modules/apigw-cors/ (importable as 'apigw-cors' from /opt/nodejs/node_modules)
build-CorsLayer: check-env
	$(BUILD) --only layer --outdir "$(ARTIFACTS_DIR)"

# -> $(ARTIFACTS_DIR)/index.js (the check/deploy custom resource)
build-RedeployFunction: check-env
	$(BUILD) --only redeploy --outdir "$(ARTIFACTS_DIR)"

# -> $(ARTIFACTS_DIR)/index.js (the policy compiler; Handler: index.handler) + public-suffixes.txt
build-CompilerFunction: check-env
	$(BUILD) --only compiler --outdir "$(ARTIFACTS_DIR)"
