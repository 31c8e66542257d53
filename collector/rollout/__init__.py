"""The Wi-Fi 6 rollout: the programme in the inventory against what the fleet really reports.

- the plan (:mod:`~collector.rollout.plan`): each AP's ``replacement:`` (model, standard,
  quarter) and each new AP's ``new_in`` quarter; quarters are KST (:mod:`~.quarters`);
- what is observed (:mod:`~collector.rollout.store`, fed by :mod:`~.observer` from every SNMP
  sample the collector accounts and by the SSH sweep): which model each AP answers as, since
  when (first seen, per source), and per AP and KST day the peak client count and reboots;
- per AP state and before/after figures (:mod:`~collector.rollout.state`, pure), from the
  observations and the ledger's daily copy (:class:`collector.ledger.mirror.LedgerMirror`);
- the fleet's status by district and quarter (:mod:`~collector.rollout.status`), the next
  APs to replace (:mod:`~collector.rollout.candidates`) and ``pubwifi rollout``
  (:mod:`~collector.rollout.cli`).

It reads the inventory, the profiles, the ledger's copy and its own store; it never polls.
"""
