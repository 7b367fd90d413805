"""Bolt listeners, one module per area, each with `register(on, services)`:

- `bills`: `/bills`, paging, the digest's list buttons, a card's Refresh and Details;
- `approvals`: Approve, Reject… and Reopen… and their forms;
- `payments`: Pay…, the Pay form's submission, Retry payment, Cancel/Undo, a payment in doubt;
  `pay_form`: the Pay form's live preview while it is open;
- `invoices`: View invoice, Attach invoice and its form, Retry upload;
- `questions`: Ask a question and its form, Mark resolved; `replies`: thread replies that read
  as an approval;
- `suppliers/`: `/supplier` (`lookup`), the supplier form, the new bill form, bank accounts;
- `digest`: `/billpay digest [now]` and its settings form;
- `links`: `/billpay connect`, `status` and `help`;
- `home`: the App Home tab; `uninstall`: the app removed from a workspace;
- `stale`: buttons and forms no listener knows (registered last).

`cards` is what several areas share; `billpay.slack.budget` answers within Slack's 3 seconds.
"""
