#!/usr/bin/env bash
# layering.sh - check the subsystem contract: code in folder X includes only
# its own files, the one interface header Y/Y.h of a subsystem X may use, and
# monitor/x86.h (architectural constants, usable everywhere).
set -u
top=${1:-$(dirname "$0")/..}
cd "$top" || exit 2

# Which subsystems each folder may use.
declare -A allowed=(
	[devices]=""
	[shadow_mmu]=""
	[cache]=""
	[translator]="cache shadow_mmu monitor"
	[monitor]="cache shadow_mmu translator devices"
)

fail=0
for dir in "${!allowed[@]}"; do
	for file in $(find "$dir" -name '*.[chS]' 2>/dev/null); do
		while IFS= read -r inc; do
			target=${inc%%/*}
			header=${inc#*/}
			[ "$inc" = "monitor/x86.h" ] && continue
			[ "$target" = "$dir" ] && continue
			if [[ " ${allowed[$dir]} " != *" $target "* ]]; then
				echo "FAIL layering: $file includes $inc ($dir may not use $target)"
				fail=1
			elif [ "$header" != "$target.h" ]; then
				echo "FAIL layering: $file includes $inc (only $target/$target.h is public)"
				fail=1
			fi
		done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_]*\/[^"]*\)".*/\1/p' "$file")
	done
done
[ $fail = 0 ] && echo "ok layering"
exit $fail
