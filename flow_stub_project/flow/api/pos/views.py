"""The POS API: what a till does, one database transaction per request.

Every write happens inside ``transaction.atomic`` with model saves, so post_save
receivers (the Omnium integration writes its sync jobs from them) run in the request's
transaction: a refused or failed request leaves neither Flow rows nor jobs behind.
"""

from __future__ import annotations

from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from rest_framework import status
from rest_framework.response import Response

from ... import pos
from ...errors import Conflict
from ...models import Customer, Order, OrderReceipt, Receivement
from ...purchasing import complete_receivement, create_receivement
from ..base import TenantAPIView
from . import serializers as s


class OrderViewMixin:
    def get_order(self, uid: str) -> Order:
        return get_object_or_404(Order, tenant=self.tenant, uid=uid)

    def order_response(self, order: Order, status_code: int = status.HTTP_200_OK) -> Response:
        order = (
            Order.objects.select_related("store", "customer", "original_order")
            .prefetch_related(
                "lines__original_line", "lines__package_parent", "payments", "handlings"
            )
            .get(pk=order.pk)
        )
        context = self.get_serializer_context()
        return Response(s.OrderOut(order, context=context).data, status=status_code)


class OrderCreateView(OrderViewMixin, TenantAPIView):
    """``POST /api/pos/orders``: an OPEN sale with its lines."""

    @transaction.atomic
    def post(self, request):
        data = _valid(s.OrderCreate, request, self.get_serializer_context())
        order = pos.create_order(
            data["store"],
            data["lines"],
            uid=data.get("uid", ""),
            customer=data.get("customer"),
            note=data.get("note", ""),
        )
        return self.order_response(order, status.HTTP_201_CREATED)


class OrderDetailView(OrderViewMixin, TenantAPIView):
    """``GET /api/pos/orders/<uid>``: the order with lines, payments, handlings, receipts."""

    def get(self, request, uid: str):
        return self.order_response(self.get_order(uid))


class OrderCompleteView(OrderViewMixin, TenantAPIView):
    """``POST /api/pos/orders/<uid>/complete``: settle with payments; issues the receipt."""

    @transaction.atomic
    def post(self, request, uid: str):
        order = self.get_order(uid)
        data = _valid(s.Complete, request, self.get_serializer_context())
        pos.settle(order, data["payments"])
        return self.order_response(order)


class OrderCancelView(OrderViewMixin, TenantAPIView):
    """``POST /api/pos/orders/<uid>/cancel``: cancel an order that is not completed."""

    @transaction.atomic
    def post(self, request, uid: str):
        return self.order_response(pos.cancel(self.get_order(uid)))


class OrderVoidView(OrderViewMixin, TenantAPIView):
    """``POST /api/pos/orders/<uid>/void``: cancel a completed sale; its goods go back."""

    @transaction.atomic
    def post(self, request, uid: str):
        return self.order_response(pos.void(self.get_order(uid)))


class OrderReturnView(OrderViewMixin, TenantAPIView):
    """``POST /api/pos/orders/<uid>/returns``: a RETURN order taking goods back from a sale."""

    @transaction.atomic
    def post(self, request, uid: str):
        sale = self.get_order(uid)
        context = {**self.get_serializer_context(), "sale": sale}
        data = _valid(s.ReturnCreate, request, context)
        restock = data["restock"]
        order = pos.create_return(
            sale,
            [
                pos.Taken(
                    line["lineUid"],
                    line["quantity"],
                    line.get("uid", ""),
                    line.get("restock", restock),
                )
                for line in data["lines"]
            ],
            uid=data.get("uid", ""),
            store=data.get("store"),
            note=data.get("note", ""),
            payments=data.get("payments"),
        )
        return self.order_response(order, status.HTTP_201_CREATED)


class ReceiptPdfView(TenantAPIView):
    """``GET /api/pos/receipts/<uid>/pdf``: the rendered receipt (404 when it has none)."""

    def get(self, request, uid: str):
        receipt = get_object_or_404(OrderReceipt, tenant=self.tenant, uid=uid)
        if receipt.pdf is None:
            raise Http404("This receipt has no PDF.")
        response = HttpResponse(bytes(receipt.pdf), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{receipt.voucher_number}.pdf"'
        return response


class CustomerCreateView(TenantAPIView):
    """``POST /api/pos/customers``: a PERSON or COMPANY customer."""

    @transaction.atomic
    def post(self, request):
        serializer = s.CustomerSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        serializer.save(last_modified_by=request.user.token_name)
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class CustomerDetailView(TenantAPIView):
    """``GET``, ``PUT`` (all fields) and ``PATCH`` (some) ``/api/pos/customers/<uid>``."""

    def get_customer(self, uid: str) -> Customer:
        return get_object_or_404(Customer, tenant=self.tenant, uid=uid)

    def get(self, request, uid: str):
        return Response(s.CustomerSerializer(self.get_customer(uid)).data)

    @transaction.atomic
    def put(self, request, uid: str, partial: bool = False):
        customer = get_object_or_404(
            Customer.objects.select_for_update(), tenant=self.tenant, uid=uid
        )
        if customer.erased_at is not None:
            raise Conflict("The customer was erased; an erased customer cannot be changed.")
        serializer = s.CustomerSerializer(
            customer, data=request.data, partial=partial, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        serializer.save(last_modified_by=request.user.token_name)
        return Response(serializer.data)

    def patch(self, request, uid: str):
        return self.put(request, uid, partial=True)


class CustomerEraseView(TenantAPIView):
    """``POST /api/pos/customers/<uid>/erase``: Flow's erase action (a GDPR request).

    Blanks the customer's personal data and gives it an anonymous uid (in the answer); its
    sales stay, pointing at the anonymous customer. In the same transaction the Omnium
    integration queues the customer's anonymisation in Omnium.
    """

    @transaction.atomic
    def post(self, request, uid: str):
        customer = get_object_or_404(
            Customer.objects.select_for_update(), tenant=self.tenant, uid=uid
        )
        customer.erase(by=request.user.token_name)
        return Response(s.CustomerSerializer(customer).data)


class ReceivementViewMixin:
    def receivement_response(self, receivement: Receivement, status_code=status.HTTP_200_OK):
        receivement = (
            Receivement.objects.select_related("store", "purchase_order")
            .prefetch_related("lines__purchase_order_line")
            .get(pk=receivement.pk)
        )
        return Response(s.ReceivementOut(receivement).data, status=status_code)


class ReceivementCreateView(ReceivementViewMixin, TenantAPIView):
    """``POST /api/pos/receivements``: a goods reception, counted in unless ``complete: false``."""

    @transaction.atomic
    def post(self, request):
        data = _valid(s.ReceivementCreate, request, self.get_serializer_context())
        receivement = create_receivement(
            data["store"],
            data["lines"],
            uid=data.get("uid", ""),
            purchase_order=data.get("purchase_order"),
            complete=data["complete"],
        )
        return self.receivement_response(receivement, status.HTTP_201_CREATED)


class ReceivementDetailView(ReceivementViewMixin, TenantAPIView):
    """``GET /api/pos/receivements/<uid>``."""

    def get(self, request, uid: str):
        receivement = get_object_or_404(Receivement, tenant=self.tenant, uid=uid)
        return self.receivement_response(receivement)


class ReceivementCompleteView(ReceivementViewMixin, TenantAPIView):
    """``POST /api/pos/receivements/<uid>/complete``: count an OPEN reception in."""

    @transaction.atomic
    def post(self, request, uid: str):
        receivement = get_object_or_404(Receivement, tenant=self.tenant, uid=uid)
        return self.receivement_response(complete_receivement(receivement))


def _valid(serializer_class, request, context) -> dict:
    serializer = serializer_class(data=request.data, context=context)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data
