#!/usr/bin/env bash
# Writes internal/records/fideslang-taxonomy.txt: the keys of fideslang's default taxonomy
# (data categories, data uses, data subjects) that `kubectl amber records` checks a
# workload's spec.processing against. Only the keys and their deprecation are taken, read
# from the Python definitions of the default taxonomy (src/fideslang/default_taxonomy/*.py,
# the source the published data_files/ are exported from, which lag behind it).
#
#   hack/fideslang-taxonomy.sh FIDESLANG_CHECKOUT TAG > internal/records/fideslang-taxonomy.txt
#
# FIDESLANG_CHECKOUT is a git clone (or bare mirror) of github.com/ethyca/fideslang; TAG a
# release tag (3.1.2). The taxonomy is licensed CC-BY-4.0 by Ethyca, Inc.; the header
# written here carries that attribution, and must stay with the data.
set -euo pipefail

repo=${1:?usage: $0 FIDESLANG_CHECKOUT TAG}
tag=${2:?usage: $0 FIDESLANG_CHECKOUT TAG}
commit=$(git -C "$repo" rev-parse "$tag^{commit}")

cat <<EOF
# The default taxonomy of fideslang $tag (commit $commit),
# github.com/ethyca/fideslang: data categories, data uses and data subjects.
# Copyright Ethyca, Inc., licensed under the Creative Commons Attribution 4.0
# International license (CC-BY-4.0, https://creativecommons.org/licenses/by/4.0/),
# provided as is, without warranties. Changed from the original: only each entry's
# kind, key, and deprecation (the fideslang version that deprecated it and its
# replacement) are kept; names and descriptions are left out.
# Written by hack/fideslang-taxonomy.sh from src/fideslang/default_taxonomy/*.py.
#
# kind key [deprecated=VERSION] [replaced_by=KEY]
EOF

for pair in category:data_categories use:data_uses subject:data_subjects; do
	kind=${pair%%:*}
	file=${pair#*:}
	# Each entry is one default_*_factory(...) call with one keyword argument per line;
	# the organization_fides_key line is not the entry's key.
	git -C "$repo" show "$tag:src/fideslang/default_taxonomy/$file.py" | awk -v kind="$kind" '
		function flush() {
			if (key != "") {
				line = kind " " key
				if (deprecated != "") line = line " deprecated=" deprecated
				if (replaced != "") line = line " replaced_by=" replaced
				print line
			}
			key = ""; deprecated = ""; replaced = ""
		}
		/default_[a-z]+_factory\(/ { flush() }
		/^[[:space:]]*fides_key="/ { split($0, f, "\""); key = f[2] }
		/^[[:space:]]*version_deprecated="/ { split($0, f, "\""); deprecated = f[2] }
		/^[[:space:]]*replaced_by="/ { split($0, f, "\""); replaced = f[2] }
		END { flush() }
	' | LC_ALL=C sort
done
