from django.urls import path

from . import stock, views

urlpatterns = [
    path("orders", views.OrderCreateView.as_view(), name="pos-orders"),
    path("orders/<str:uid>", views.OrderDetailView.as_view(), name="pos-order"),
    path("orders/<str:uid>/complete", views.OrderCompleteView.as_view(), name="pos-order-complete"),
    path("orders/<str:uid>/cancel", views.OrderCancelView.as_view(), name="pos-order-cancel"),
    path("orders/<str:uid>/void", views.OrderVoidView.as_view(), name="pos-order-void"),
    path("orders/<str:uid>/returns", views.OrderReturnView.as_view(), name="pos-order-returns"),
    path("receipts/<str:uid>/pdf", views.ReceiptPdfView.as_view(), name="pos-receipt-pdf"),
    path("customers", views.CustomerCreateView.as_view(), name="pos-customers"),
    path("customers/<str:uid>", views.CustomerDetailView.as_view(), name="pos-customer"),
    path("customers/<str:uid>/erase", views.CustomerEraseView.as_view(), name="pos-customer-erase"),
    path("receivements", views.ReceivementCreateView.as_view(), name="pos-receivements"),
    path("receivements/<str:uid>", views.ReceivementDetailView.as_view(), name="pos-receivement"),
    path(
        "receivements/<str:uid>/complete",
        views.ReceivementCompleteView.as_view(),
        name="pos-receivement-complete",
    ),
    path("stock/counts", stock.CountView.as_view(), name="pos-stock-counts"),
    path("stock/adjustments", stock.AdjustmentView.as_view(), name="pos-stock-adjustments"),
    path("stock/transfers", stock.TransferView.as_view(), name="pos-stock-transfers"),
    path(
        "stock/movements/<str:uid>",
        stock.MovementDetailView.as_view(),
        name="pos-stock-movement",
    ),
]
