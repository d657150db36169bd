#!/bin/bash
# Runs each libFuzzer target of a "make fuzz" build for SECONDS, one
# after the other, on its seeds (tests/fuzz/corpus/NAME/, and for the
# mail targets the test mails: tests/sieve/*.eml, tests/bench/*.eml and
# the hostile corpus of tests/corpus/make-hostile.sh), and reports TAP,
# one test point per target.  A crash fails its target: the input is
# copied into BUILDDIR/tests/fuzz/regressions/NAME/ and printed in base64,
# to be added to the tree's tests/fuzz/regressions/NAME/, which make
# check replays.  What a run learns stays in BUILDDIR/tests/fuzz/work/.
# usage: run-fuzz.sh BUILDDIR SECONDS [NAME...]
set -u
here=$(cd "$(dirname "$0")" && pwd)
top_srcdir=$(cd "$here/../.." && pwd)
build=$(cd "$1" && pwd) || exit 1
seconds=$2
shift 2
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(subject token command template evfile \
	outbox msgtext chat pipeline rebuild)
work=$build/tests/fuzz/work
mkdir -p "$work"
export top_srcdir
# GLib's caches and GMime's global tables are kept until exit: leaks are
# LeakSanitizer's noise, not ours; ASan's other checks all stay
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0}
export G_DEBUG=fatal-criticals

mails=$work/mails
if [ ! -d "$mails" ]; then
	mkdir -p "$mails"
	bash "$top_srcdir/tests/corpus/make-hostile.sh" "$mails" >/dev/null
	cp "$top_srcdir"/tests/sieve/*.eml "$top_srcdir"/tests/bench/*.eml \
		"$mails/"
fi

echo "1..${#names[@]}"
n=0 failed=0
for name in "${names[@]}"; do
	n=$((n + 1))
	fuzzer=$build/tests/fuzz/fuzz-$name
	corpus=$work/corpus-$name
	crashes=$work/crashes-$name
	log=$work/$name.log
	mkdir -p "$corpus" "$crashes"
	seeds=("$top_srcdir/tests/fuzz/corpus/$name")
	case $name in
	pipeline|command|msgtext|rebuild) seeds+=("$mails") ;;
	esac
	if [ ! -x "$fuzzer" ]; then
		echo "not ok $n - $name: no $fuzzer (make fuzz)"
		failed=$((failed + 1))
		continue
	fi
	start=$(date +%s)
	(cd "$work" && "$fuzzer" -max_total_time="$seconds" -timeout=25 \
		-rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
		-artifact_prefix="$crashes/" "$corpus" "${seeds[@]}") \
		> "$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	took=$(($(date +%s) - start))
	if [ $status -eq 0 ]; then
		echo "ok $n - $name: ${runs:-?} runs in ${took}s"
		continue
	fi
	failed=$((failed + 1))
	echo "not ok $n - $name: exit $status after ${took}s"
	grep -E 'ERROR|SUMMARY|CRITICAL|^#[0-9]+ ' "$log" | head -20 |
		sed 's/^/# /'
	mkdir -p "$build/tests/fuzz/regressions/$name"
	for f in "$crashes"/*; do
		[ -f "$f" ] || continue
		cp "$f" "$build/tests/fuzz/regressions/$name/"
		echo "# tests/fuzz/regressions/$name/$(basename "$f"):"
		base64 -w 76 "$f" | sed 's/^/# /'
	done
done
exit $((failed > 0))
