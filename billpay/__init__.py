"""Bill pay for Slack: approve and pay supplier bills without leaving Slack. The product, in one
package of areas (core, store, payables, bills, approvals, payments, invoices, suppliers, digest),
its Slack edge (`slack`) and the runtime that runs it; the stand-ins live beside it.
"""
