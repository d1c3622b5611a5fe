#!/usr/bin/env bash
# Re-vendor the front-end files from the npm registry (`make vendor`). Versions are pinned here and in
# VERSIONS.txt; nothing is fetched at run time.
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
( cd "$work" && npm pack --silent @picocss/pico@2.1.1 htmx.org@2.0.11 swagger-ui-dist@5.35.0 chart.js@4.6.1 signature_pad@5.1.4 >/dev/null )
for f in "$work"/*.tgz; do mkdir -p "${f%.tgz}" && tar xzf "$f" -C "${f%.tgz}"; done
cp "$work"/picocss-pico-2.1.1/package/css/pico.min.css pico/
cp "$work"/htmx.org-2.0.11/package/dist/htmx.min.js htmx/
cp "$work"/swagger-ui-dist-5.35.0/package/{swagger-ui-bundle.js,swagger-ui-standalone-preset.js,swagger-ui.css} swagger-ui/
cp "$work"/chart.js-4.6.1/package/dist/chart.umd.min.js chartjs/
cp "$work"/signature_pad-5.1.4/package/dist/signature_pad.umd.min.js signature_pad/
# Source maps are not vendored: drop the references, which collectstatic's manifest would refuse.
for f in chartjs/chart.umd.min.js signature_pad/signature_pad.umd.min.js swagger-ui/swagger-ui.css \
         swagger-ui/swagger-ui-bundle.js swagger-ui/swagger-ui-standalone-preset.js htmx/htmx.min.js; do
  python3 - "$f" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
open(p, "w", encoding="utf-8").write(re.sub(r"\n?/[/*][#@] sourceMappingURL=[^\n]*?(\*/)?\s*$", "\n", s))
PY
done
echo "vendored files refreshed"
