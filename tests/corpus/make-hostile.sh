#!/bin/bash
# Writes the hostile corpus into DIR, one message per file (LF line ends;
# swaks turns them into CRLF except where a file name says "bare-lf").
# Every message is addressed to sales@shop.test from a distinct sender, so
# each one that becomes a ticket becomes its own ticket.
# usage: make-hostile.sh DIR
set -eu
dir=$1
mkdir -p "$dir"

head() {	# head FILE SENDER SUBJECT [MORE HEADER LINES...]
	local file=$1 sender=$2 subject=$3
	shift 3
	{
		printf 'From: %s\n' "$sender"
		printf 'To: sales@shop.test\n'
		printf 'Subject: %s\n' "$subject"
		printf 'Date: Sun, 22 Nov 2026 10:00:00 +0000\n'
		for line in "$@"; do printf '%s\n' "$line"; done
	} > "$dir/$file"
}

head no-message-id h1@example.com "no message id"
printf '\nNo Message-ID at all.\n' >> "$dir/no-message-id"

head duplicate-headers h2@example.com "first subject" \
	"Subject: second subject" "Message-ID: <dup1@example.com>" \
	"Message-ID: <dup2@example.com>" "From: other@example.com"
printf '\nTwo of everything.\n' >> "$dir/duplicate-headers"

head folded-headers h3@example.com "a subject that is folded" \
	"	over three lines" "  of text" \
	"Message-ID:" "	<folded@example.com>" \
	"References: <a@x>" "	<b@x>" "	<c@x>"
printf '\nFolded.\n' >> "$dir/folded-headers"

head 8bit-headers h4@example.com $'8bit \xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xff\xfe latin1 caf\xe9' \
	"Message-ID: <8bit@example.com>" $'X-Junk: \x01\x02\x7f'
printf '\nBody.\n' >> "$dir/8bit-headers"

head bad-rfc2047 h5@example.com "=?utf-8?B?!!!notbase64?= =?unknown-charset?Q?x?= =?utf-8?Q?unterminated" \
	"Message-ID: <2047@example.com>"
printf '\nBody.\n' >> "$dir/bad-rfc2047"

# MIME nested 100 deep
{
	head mime-100-deep h6@example.com "nested 100 deep" \
		"Message-ID: <deep@example.com>" "MIME-Version: 1.0" \
		'Content-Type: multipart/mixed; boundary="b0"'
	for i in $(seq 1 100); do
		printf '\n--b%d\nContent-Type: multipart/mixed; boundary="b%d"\n' \
			$((i - 1)) "$i" >> "$dir/mime-100-deep"
	done
	printf '\n--b100\nContent-Type: text/plain\n\ndeep text\n--b100--\n' \
		>> "$dir/mime-100-deep"
	for i in $(seq 99 -1 0); do
		printf -- '--b%d--\n' "$i" >> "$dir/mime-100-deep"
	done
}

# a 20 MB attachment
head attachment-20mb h7@example.com "big attachment" \
	"Message-ID: <big@example.com>" "MIME-Version: 1.0" \
	'Content-Type: multipart/mixed; boundary="att"'
{
	printf '\n--att\nContent-Type: text/plain\n\nsee attached\n'
	printf -- '--att\nContent-Type: application/octet-stream\n'
	printf 'Content-Transfer-Encoding: base64\n\n'
	dd if=/dev/urandom bs=1M count=20 status=none | base64 -w 76
	printf -- '--att--\n'
} >> "$dir/attachment-20mb"

# empty body
head empty-body h8@example.com "empty body" "Message-ID: <empty@example.com>"
printf '\n' >> "$dir/empty-body"

# bare LF line ends, sent as they are
head bare-lf h9@example.com "bare LF" "Message-ID: <barelf@example.com>"
printf '\nline one\nline two\n' >> "$dir/bare-lf"

# a 1 MB header
{
	head header-1mb h10@example.com "one huge header" \
		"Message-ID: <hugeheader@example.com>"
	printf 'X-Huge: '
	for i in $(seq 1 16384); do printf 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\n\t'; done
	printf 'end\n\nBody after a huge header.\n'
} >> "$dir/header-1mb"
