# A user's personal script, run after sieve/shopdesk.sieve by t-sieve.sh
# the way Dovecot runs a sieve_before script and then the user's own.
require ["fileinto", "mailbox"];
fileinto :create "Personal";
