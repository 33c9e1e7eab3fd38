"""Signals partners send for the apps above them (customers, gdap, api).

Partners cannot import those apps (the layers point down); they connect their
receivers in their own AppConfig.ready().
"""

from django.dispatch import Signal

# R26: a partner user was removed (deactivated) by ``actor``; sent inside the
# removal's transaction, so a receiver's writes commit or roll back with it.
# Arguments: ``partner``, ``user``, ``actor``.
#
# Receivers: customers.people drops the person from support contacts (with a
# "support contacts changed" event). Security groups (gdap, R34) and API tokens
# (api, R38) hook the same signal when they exist: the person leaves every
# security group and their tokens are revoked.
partner_user_removed = Signal()
