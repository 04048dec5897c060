#!/usr/bin/perl
# An independent DKIM verifier for the tests: Perl's Mail::DKIM (Debian's
# libmail-dkim-perl, the verifier SpamAssassin and Amavis use), asking the DNS server
# given on the command line (ADDRESS PORT) for the keys. Reads a message on stdin;
# prints one line per signature ("signature RESULT d=DOMAIN s=SELECTOR DETAIL") and
# then "result RESULT".
use strict;
use warnings;
use Mail::DKIM::Verifier;
use Net::DNS::Resolver;

my ($server, $port) = @ARGV;
Mail::DKIM::DNS::resolver(
    Net::DNS::Resolver->new(
        nameservers => [$server], port => $port, recurse => 0,
        udp_timeout => 5, tcp_timeout => 5, retry => 2,
    )
);
my $dkim = Mail::DKIM::Verifier->new();
binmode STDIN;
while (my $line = <STDIN>) {
    $line =~ s/\015?\012\z/\015\012/;
    $dkim->PRINT($line);
}
$dkim->CLOSE;
foreach my $signature ($dkim->signatures) {
    printf "signature %s d=%s s=%s %s\n", $signature->result, $signature->domain,
        $signature->selector, $signature->result_detail;
}
print "result ", $dkim->result, "\n";
