# deps.sh: the Debian 12 packages shopdesk builds and tests with, and a
# function that installs whichever are missing.  Sourced by
# tools/shopdesk-demo and tools/shopdesk-test; needs root for apt-get.

SHOPDESK_PACKAGES="
	build-essential autoconf automake libtool pkg-config
	libglib2.0-dev libgmime-3.0-dev libjson-glib-dev libcurl4-openssl-dev
	libmilter-dev libdb5.3-dev libical-dev libexttextcat-dev libxml2-dev
	libmicrohttpd-dev dovecot-dev
	postfix dovecot-core dovecot-imapd dovecot-lmtpd dovecot-sieve
	miltertest swaks s-nail jq perl procps python3 curl faketime groff-base
	debhelper dpkg-dev fakeroot lintian systemd
	clang libclang-rt-14-dev
"
# what only the tests need: the report's HTML page is checked in a real
# browser
SHOPDESK_TEST_PACKAGES="chromium file"

# install_deps [MORE]: SHOPDESK_PACKAGES and MORE
install_deps() {
	local missing=() pkg
	for pkg in $SHOPDESK_PACKAGES ${1:-}; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$pkg")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		echo "shopdesk: missing packages (${missing[*]}); run as root" >&2
		return 1
	fi
	echo "shopdesk: installing ${missing[*]}"
	# Postfix's own configuration stays untouched: shopdesk runs private
	# instances with their own config directories.
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections
	apt-get update -q >/dev/null &&
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends "${missing[@]}" >/dev/null
}

# build: autotools in the source tree; CONFIGURE_FLAGS may add options.
build() {
	[ -x configure ] || autoreconf -fi || return 1
	[ -f Makefile ] || ./configure ${CONFIGURE_FLAGS:-} || return 1
	make -j2
}
