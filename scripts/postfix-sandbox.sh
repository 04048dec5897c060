#!/usr/bin/env bash
# Buzón's Postfix sandbox: a real Postfix on the loopback interface, for end-to-end
# tests and the inbound benchmark. Nothing here listens on port 25 or leaves the
# machine.
#
#   Buzón worker ──SMTP──► Postfix on 127.0.0.1:$RELAY_PORT
#                             ├─ mail for $INBOUND_DOMAIN ──► 127.0.0.1:$INBOUND_PORT
#                             │                               (Buzón's inbound server)
#                             └─ any other domain ──────────► 127.0.0.1:$REMOTE_MX_PORT
#                                                             (a fake remote MX)
#
# When the fake remote MX refuses a recipient (or a message), Postfix writes a real
# RFC 3464 bounce to the envelope sender — Buzón's signed return path at
# $INBOUND_DOMAIN — and so it comes back to Buzón's inbound server. With
# DELAY_WARNING set (e.g. 15s), mail that keeps being deferred also produces a
# "delayed" report.
#
# Usage: scripts/postfix-sandbox.sh install|start|stop|flush|status
#   install  apt-get install postfix (root; once)
#   start    write the configuration and (re)start Postfix
#   stop     stop Postfix and drop what is still queued (sandbox mail only), so the
#            next start does not retry old test mail against new ports
#   flush    ask Postfix to retry its deferred mail now
#   status   is it running, what is queued
#
# Settings (environment):      default
#   RELAY_PORT                 2526    where Postfix takes mail from Buzón
#   REMOTE_MX_PORT             8026    the fake remote mail server
#   INBOUND_PORT               8027    Buzón's inbound SMTP server
#   INBOUND_DOMAIN             helpdesk.test   Buzón's bounce domain
#   MTA_HOSTNAME               mta.sandbox.test
#   DELAY_WARNING              0h      (off) time before a "delayed" report
#   HOLD_DELIVERY              no      yes: accept and queue, deliver nothing (for
#                                      measuring Postfix's accept rate alone)
#   LOG_FILE                   /var/log/postfix-sandbox.log
# Needs root (Postfix's own set-up) and Debian's postfix package.
set -euo pipefail

: "${RELAY_PORT:=2526}"
: "${REMOTE_MX_PORT:=8026}"
: "${INBOUND_PORT:=8027}"
: "${INBOUND_DOMAIN:=helpdesk.test}"
: "${MTA_HOSTNAME:=mta.sandbox.test}"
: "${DELAY_WARNING:=0h}"
: "${LOG_FILE:=/var/log/postfix-sandbox.log}"
: "${HOLD_DELIVERY:=no}"
CONF=/etc/postfix

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "postfix-sandbox: must run as root" >&2
    exit 1
  fi
}

do_install() {
  need_root
  command -v postfix >/dev/null 2>&1 && return 0
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix >/dev/null
}

# Postfix settings, one "name = value" per line (main.cf).
main_settings() {
  cat <<SETTINGS
compatibility_level = 3.6
myhostname = $MTA_HOSTNAME
mydomain = sandbox.test
myorigin = \$myhostname
mydestination =
relay_domains =
local_transport = error:5.1.1 local delivery is off in the sandbox
alias_maps =
alias_database =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
transport_maps = texthash:$CONF/buzon-transport
smtp_dns_support_level = disabled
smtp_tls_security_level = none
smtpd_tls_security_level = none
biff = no
maillog_file = $LOG_FILE
queue_run_delay = 5s
minimal_backoff_time = 5s
maximal_backoff_time = 10s
bounce_queue_lifetime = 1d
maximal_queue_lifetime = 1d
delay_warning_time = $DELAY_WARNING
SETTINGS
  if [ "$HOLD_DELIVERY" = yes ]; then
    echo "defer_transports = inbound remotemx"
  fi
}

configure() {
  # Keep the machine's own configuration once, so it can be put back by hand.
  [ -e "$CONF/main.cf.before-buzon" ] || cp "$CONF/main.cf" "$CONF/main.cf.before-buzon" 2>/dev/null || true
  [ -e "$CONF/master.cf.before-buzon" ] || cp "$CONF/master.cf" "$CONF/master.cf.before-buzon"
  main_settings >"$CONF/main.cf"
  # Where mail goes: the bounce domain to Buzón, everything else to the fake MX.
  printf '%s inbound:[127.0.0.1]:%s\n* remotemx:[127.0.0.1]:%s\n' \
    "$INBOUND_DOMAIN" "$INBOUND_PORT" "$REMOTE_MX_PORT" >"$CONF/buzon-transport"
  # master.cf: no smtpd on port 25; one on the relay port; two smtp clients (one per
  # destination, so their logs say which); nothing chrooted (no copy of /etc needed).
  postconf -M# smtp/inet >/dev/null 2>&1 || true
  local service
  for service in $(postconf -M | awk '$1 ~ /^127\.0\.0\.1:[0-9]+$/ && $2 == "inet" {print $1}'); do
    postconf -MX "$service/inet"
  done
  postconf -Me "127.0.0.1:$RELAY_PORT/inet = 127.0.0.1:$RELAY_PORT inet n - n - - smtpd"
  postconf -Me "remotemx/unix = remotemx unix - - n - - smtp"
  postconf -Me "inbound/unix = inbound unix - - n - - smtp"
  postconf -F '*/*/chroot = n'
  touch "$LOG_FILE"
  postfix check
}

do_start() {
  need_root
  command -v postfix >/dev/null 2>&1 || do_install
  configure
  if postfix status >/dev/null 2>&1; then
    postfix reload >/dev/null 2>&1
  else
    postfix start >/dev/null 2>&1
  fi
  echo "postfix-sandbox: relay 127.0.0.1:$RELAY_PORT, $INBOUND_DOMAIN → :$INBOUND_PORT, others → :$REMOTE_MX_PORT"
}

do_stop() {
  postfix stop >/dev/null 2>&1 || true
  postsuper -d ALL >/dev/null 2>&1 || true
}

case "${1:-}" in
  install) do_install ;;
  start) do_start ;;
  stop) do_stop ;;
  flush) postqueue -f ;;
  status) postfix status && postqueue -p | tail -n 1 ;;
  *)
    echo "usage: $0 install|start|stop|flush|status" >&2
    exit 2
    ;;
esac
