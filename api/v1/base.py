"""What every /api/v1/ view shares (filled by the framework work: idempotency).

Every API view subclasses :class:`PartnerAPIView` (or a generic/viewset built on
:class:`PartnerMixin`): ``self.partner`` and ``self.membership`` are the token's.
"""

from rest_framework import generics, viewsets


class PartnerMixin:
    @property
    def token(self):
        return self.request.auth

    @property
    def membership(self):
        return self.request.user.partner_membership

    @property
    def partner(self):
        return self.membership.partner


class PartnerAPIView(PartnerMixin, generics.GenericAPIView):
    pass


class PartnerViewSet(PartnerMixin, viewsets.GenericViewSet):
    pass
