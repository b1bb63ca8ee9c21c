#!/bin/sh
# manpage.sh OEP: prints oep(1) in troff, made from the CLI's own help: `oep --help` and the
# --help of every subcommand, recursively (CLI11's "Subcommands:" sections list them).
set -eu
oep=$1
version=$("$oep" --version | sed 's/^oep //')

# Help text as a literal troff block: backslashes doubled, a leading . or ' guarded.
literal() { printf '.nf\n'; sed -e 's/\\/\\e/g' -e "s/^\([.']\)/\\\\\&\1/"; printf '.fi\n'; }

subcommands() {  # the names listed under "Subcommands:" in `oep WORDS... --help`
  "$oep" "$@" --help | awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1} on && /^$/ {on = 0}'
}

section() {  # `oep WORDS...`: its help, then its subcommands'
  printf '.SS "oep %s"\n' "$*"
  "$oep" "$@" --help | literal
  for sub in $(subcommands "$@"); do section "$@" "$sub"; done
}

printf '.TH OEP 1 "" "oep %s" "User Commands"\n' "$version"
printf '.SH NAME\noep \\- an embedded evidence plane for AI agents\n'
printf '.SH SYNOPSIS\n.B oep\n[\\fIOPTIONS\\fR] \\fISUBCOMMAND\\fR ...\n'
printf '.SH DESCRIPTION\n'
"$oep" --help | literal
printf '.SH COMMANDS\n'
for sub in $(subcommands); do section "$sub"; done
printf '.SH FILES\n.TP\n/etc/oep/oep.yaml\nthe configuration of the oep service (\\fBoep serve \\-\\-config\\fR)\n'
printf '.TP\n/var/lib/oep\nthe service'"'"'s evidence store and server key\n'
printf '.SH SEE ALSO\n/usr/share/doc/oep/README.md\n'
