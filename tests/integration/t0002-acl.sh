#!/bin/sh
# An initiator the target's ACL does not name cannot log in: up fails with
# a message naming the node and the task, and (not on a terminal) takes the
# lab apart again.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t2 "$(subnet_for 2)" "      targets: [disks]" "      acl: [iqn.2016-06.com.example:someone-else]"
run "validate accepts the spec" 0 "$labctl" validate -q "$spec"
run "up fails" 1 "$labctl" up "$spec"
matches "the failure names the node and the task" "node 'host', task host:[0-9]+ 'log in to iqn.2016-06.com.iscsi-disks:iscsi-disks" "$tmp/out"
has "and says why" "does not offer iqn.2016-06.com.iscsi-disks:iscsi-disks to iqn.2016-06.com.iscsi-host:iscsi-host" "$tmp/out"
matches "later tasks are not run" "host +[0-9]+ +[0-9]+ +1 +[1-9]" "$tmp/out"
has "not on a terminal, the lab is taken apart" "lab 't2' is down" "$tmp/out"
no_residue "nothing of the lab is left"

run "with --on-failure keep, up fails" 1 "$labctl" up --on-failure keep "$spec"
has "and the lab is left for a look" "left as it is for a look" "$tmp/out"
run "down after the failure" 0 "$labctl" down "$spec"
no_residue "nothing of the lab is left after down"
finish
