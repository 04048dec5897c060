#!/usr/bin/env bash
# Debian packages the browser (with npm for its axe-core check), real-MTA, IMAP and
# DNS tests need. Only root can install them; anyone else gets a loud note and those tests skip. nsd is the
# authoritative DNS server the deliverability tests run on loopback; libmail-dkim-perl
# is the independent DKIM verifier (Perl's Mail::DKIM) they check Buzón's signatures with.
set -uo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v npm >/dev/null 2>&1 || missing+=(npm)  # fetches axe-core for the accessibility check
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || missing+=(postfix)
command -v nsd >/dev/null 2>&1 || [ -x /usr/sbin/nsd ] || missing+=(nsd)
perl -MMail::DKIM::Verifier -e 1 >/dev/null 2>&1 || missing+=(libmail-dkim-perl)
[ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "!! not root: cannot install ${missing[*]}; browser/MTA/IMAP/DNS tests will be skipped" >&2
  exit 0
fi
echo "== installing Debian packages: ${missing[*]}"
echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 || {
  apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null
}
# Postfix must not run as the system MTA, nor NSD as a system DNS server; the tests
# start their own instances on free loopback ports.
postfix stop >/dev/null 2>&1 || true
# Nor Dovecot as the system IMAP server: the IMAP tests start their own, on loopback.
dovecot stop >/dev/null 2>&1 || true
if [ -s /run/nsd/nsd.pid ]; then kill "$(cat /run/nsd/nsd.pid)" >/dev/null 2>&1 || true; fi
