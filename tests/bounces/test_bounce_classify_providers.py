"""Provider tables: what each receiving provider means by its own codes and sentences.

The example replies are written for these tests (addresses and hosts under .test or the
provider's own MX names); they follow the wording the providers document.
"""

import pytest

from buzon_bounces import classify, providers
from buzon_bounces.reasons import REASONS


@pytest.mark.parametrize(
    ("host", "status", "code", "text", "command", "reason"),
    [
        # Facebook: the response code names the cause.
        ("mx.facebook.com", "5.1.1", 550, "5.1.1 RCP-P2 Refused due to recipient preferences",
         "RCPT", "filtered"),
        ("mx.facebook.com", "5.1.1", 550, "5.1.1 RCP-P1 Recipient address does not exist",
         "RCPT", "userunknown"),
        ("mx.facebook.com", "4.2.1", 450, "4.2.1 RCP-T4 Recipient address is deactivated",
         "RCPT", "suspend"),
        ("mx.facebook.com", "5.7.1", 550, "5.7.1 POL-P5 Message contains a virus", "DATA",
         "virusdetected"),
        ("mx.facebook.com", "4.7.1", 421, "4.7.1 POL-T2 Not accepting mail from your server",
         "CONN", "blocked"),
        ("mx.facebook.com", "5.3.4", 552, "5.3.4 MSG-P1 Message exceeds maximum size", "DATA",
         "mesgtoobig"),
        ("mx.facebook.com", "5.7.1", 550, "5.7.1 DNS-P3 No reverse DNS for your server", "CONN",
         "requireptr"),
        # Mimecast: one fixed sentence per cause.
        ("eu-smtp-inbound-1.mimecast.com", "5.0.0", 554,
         "554 Email rejected due to security policies - MCVirusSignature", "DATA",
         "virusdetected"),
        ("eu-smtp-inbound-1.mimecast.com", "5.0.0", 554,
         "554 Email rejected due to security policies - MCSpamSignature.x", "DATA",
         "spamdetected"),
        ("eu-smtp-inbound-1.mimecast.com", "", 550, "550 Invalid Recipient", "RCPT",
         "userunknown"),
        ("eu-smtp-inbound-1.mimecast.com", "", 550,
         "550 DMARC Sender Invalid - envelope rejected", "RCPT", "authfailure"),
        ("eu-smtp-inbound-1.mimecast.com", "", 550,
         "550 Envelope blocked - User Entry", "RCPT", "rejected"),
        ("eu-smtp-inbound-1.mimecast.com", "", 554, "554 Maximum email size exceeded", "DATA",
         "mesgtoobig"),
        ("eu-smtp-inbound-1.mimecast.com", "", 553,
         "553 This route requires encryption (TLS)", "MAIL", "failedstarttls"),
        # MessageLabs / Email Security.cloud.
        ("cluster1.eu.messagelabs.com", "", 553, "553 Sorry, your email address has been blocked",
         "RCPT", "rejected"),
        ("cluster1.eu.messagelabs.com", "", 553,
         "553-mail rejected because your IP is in the PBL", "CONN", "blocked"),
        # Zoho.
        ("mx.zoho.com", "5.4.1", 541, "541 5.4.1 Mail rejected by destination domain", "RCPT",
         "rejected"),
        ("mx.zoho.com", "5.7.1", 552, "552 5.7.1 virus Eicar-Test detected by Zoho Mail", "DATA",
         "virusdetected"),
        ("mx.zoho.com", "4.3.1", 452, "452 4.3.1 Temporary System Error", "RCPT",
         "systemerror"),
        ("mx.zoho.com", "5.7.1", 554,
         "554 5.7.1 Email cannot be delivered. Reason: Email flagged as Spam.", "RCPT",
         "spamdetected"),  # a spam verdict stays one (see zoho.py)
        # Cloudflare Email Routing.
        ("route1.mx.cloudflare.net", "4.3.0", 421, "421 4.3.0 Upstream error, try later",
         "DATA", "systemerror"),
        ("route1.mx.cloudflare.net", "5.7.1", 550,
         "550 5.7.1 192.0.2.9 found on one or more DNSBLs", "RCPT", "blocked"),
        # Apple.
        ("mx01.mail.icloud.com", "5.1.1", 550, "550 5.1.1 <a@icloud.com>: inactive email address",
         "RCPT", "suspend"),
        ("mx01.mail.icloud.com", "4.7.1", 421,
         "421 4.7.1 Messages to a@icloud.com deferred due to excessive volume", "RCPT",
         "speeding"),
        ("mx01.mail.icloud.com", "5.7.1", 550,
         "550 5.7.1 [CS01] Message rejected due to local policy", "DATA", "policyviolation"),
        # Google: documented sentences; a per-recipient size limit under 5.2.3.
        ("aspmx.l.google.com", "5.2.3", 552,
         "552 5.2.3 Your message exceeded Google's message size limits", "DATA", "exceedlimit"),
        ("aspmx.l.google.com", "5.3.4", 552,
         "552 5.3.4 Your message exceeded Google's message size limits", "DATA", "mesgtoobig"),
        ("aspmx.l.google.com", "5.7.0", 550, "550 5.7.0 Mail Sending denied", "MAIL",
         "rejected"),
        ("aspmx.l.google.com", "4.7.0", 454, "454 4.7.0 Too many login attempts", "AUTH",
         "securityerror"),
        ("aspmx.l.google.com", "5.4.6", 554,
         "554 5.4.6 Message exceeded 50 hops, this may indicate a mail loop", "DATA",
         "networkerror"),
        # Microsoft: short sentences only under their own code. Its NDR page: 5.7.504 is
        # a recipient address that is not valid; 5.7.1 "Delivery not authorized" a
        # sender the recipient (a restricted group) does not accept.
        ("a.mail.protection.outlook.com", "5.7.504", 550,
         "550 5.7.504 Recipient address rejected: Access denied", "RCPT", "userunknown"),
        ("a.mail.protection.outlook.com", "5.4.1", 550,
         "550 5.4.1 Recipient address rejected: Access denied", "RCPT", "userunknown"),
        ("a.mail.protection.outlook.com", "5.4.312", 550,
         "550 5.4.312 Message expired, DNS query failed", "", "networkerror"),
        ("a.mail.protection.outlook.com", "5.7.1", 550,
         "550 SC-001 (BAY0-MC1) Mail rejected by Outlook.com for policy reasons", "RCPT",
         "badreputation"),
        ("a.mail.protection.outlook.com", "5.7.1", 550,
         "550 5.7.1 Delivery not authorized, message refused", "DATA", "filtered"),
        # Yahoo.
        ("mta5.am0.yahoodns.net", "5.0.0", 554,
         "554 delivery error: dd a@yahoo.com is no longer valid.", "DATA", "suspend"),
        ("mta5.am0.yahoodns.net", "4.7.0", 450, "450 User is receiving mail too quickly",
         "RCPT", "speeding"),
        # QQ Mail.
        ("mx3.qq.com", "5.0.0", 550, "550 Message too large", "DATA", "mesgtoobig"),
        ("mx3.qq.com", "5.0.0", 550, "550 Domain frequency limited", "MAIL", "toomanyconn"),
        # Cox, Spectrum, Orange: the code at the end of the reply.
        ("mx.east.cox.net", "", 554, "554 Rejected. AUP#CXDNS", "CONN", "requireptr"),
        ("mx.west.cox.net", "", 554, "554 URL in body on a block list. AUP#URLBL1001", "DATA",
         "spamdetected"),
        ("mx.charter.net", "", 554, "554 Too many messages. AUP#In-1402", "MAIL", "speeding"),
        ("mx.charter.net", "", 554, "554 Full-circle DNS required. AUP#In-1120", "CONN",
         "requireptr"),
        ("smtp-in.orange.fr", "5.1.1", 552,
         "552 5.1.1 Boite du destinataire pleine. Recipient overquota. OFR_417 [417]", "RCPT",
         "mailboxfull"),
        ("smtp-in.laposte.net", "5.5.0", 550,
         "550 5.5.0 Boite du destinataire archivee. Archived recipient. LPN007_420", "RCPT",
         "suspend"),
        # GoDaddy, i.ua.
        ("smtp.secureserver.net", "5.4.6", 554,
         "554 This message is looping: it already has my Delivered-To line", "DATA",
         "systemerror"),
        ("mx3.email.ua", "5.0.0", 550, "550 Sending limit exceeded. See http://mail.i.ua/err/5/",
         "RCPT", "toomanyconn"),
    ],
)  # fmt: skip
def test_provider_tables(host, status, code, text, command, reason):
    assert classify(status, code, text, host, command)[0] == reason
    assert reason in REASONS


def test_gmail_session_state_counts_only_under_an_unspecific_status():
    notice = (
        "Google tried to deliver your message, but it was rejected by the recipient "
        "domain. The error that the other server returned was: 554 554 5.7.0 {} (state 18)."
    )
    google = providers.google.PROVIDER
    assert google.reason(notice.format("Header error")) == "filtered"
    specific = notice.replace("5.7.0", "5.2.2").format("Mailbox full")
    assert google.reason(specific) != "filtered"


def test_a_provider_is_recognised_by_its_sign_in_the_text():
    # No remote host, no provider domain: Exchange Online's server name in the reply.
    text = (
        "5.4.1 Recipient address rejected: Access denied. "
        "[AB1CD23EF.jpnprd01.prod.outlook.com 2024-01-01T00:00:00.000Z]"
    )
    assert providers.reason_for("", "example.test", text) == "userunknown"
    assert providers.reason_for("", "example.test", "5.4.1 Access denied.") == ""


def test_a_multi_line_reply_is_read_unwrapped():
    text = (
        "550-5.2.1 The user you are trying to contact is receiving mail at a rate that "
        "550-5.2.1 prevents additional messages from being delivered. 550 5.2.1 - gsmtp"
    )
    assert providers.reason_for("alt1.aspmx.l.google.com", "", text, status="5.2.1") == ("speeding")


def test_au_content_filter_reply_without_an_address():
    assert providers.reason_for("", "ezweb.ne.jp", "<a@ezweb.ne.jp>: 550: : User unknown") == (
        "filtered"
    )
    assert providers.reason_for("", "ezweb.ne.jp", "550 <a@ezweb.ne.jp>: User unknown") == (
        "userunknown"
    )
