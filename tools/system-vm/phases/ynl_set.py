#!/usr/bin/env python3
# Takes a snapshot set over the LUNs named on the command line through the
# kernel's YNL library (tools/net/ynl/lib, beside cli.py in ynl/), driven by
# the spec alone: session-new, set-start, set-add per LUN, set-do, all on
# one socket (a session is bound to its socket).  Prints the set id and
# the snapshot devices.
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, 'ynl'))
from lib import YnlFamily  # noqa: E402

ynl = YnlFamily(os.path.join(here, 'ynl', 'vss.yaml'))
sid = ynl.do('session-new', {})['id']
setid = ynl.do('set-start', {'session-id': sid})['id']
for lun in sys.argv[1:]:
    ynl.do('set-add', {'session-id': sid, 'id': setid, 'lun': lun})
rep = ynl.do('set-do', {'session-id': sid, 'id': setid, 'no-writers': True})
print('set', rep['id'].hex(), 'state', rep['state'], 'hold-us', rep.get('hold-us'))
members = rep.get('member', [])
if isinstance(members, dict):
    members = [members]
for m in members:
    print('member', m.get('lun'), m.get('device'))
