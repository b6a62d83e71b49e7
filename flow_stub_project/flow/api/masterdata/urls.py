from django.urls import path

from .catalog import BrandsView, ProductDetailView, ProductGroupsView, ProductsView
from .prices import CostPricesView, PriceListsView, PricesView
from .purchase_orders import PurchaseOrderDetailView, PurchaseOrdersView
from .stock import StockView
from .stores import StoreDetailView, StoresView

urlpatterns = [
    path("brands", BrandsView.as_view(), name="brands"),
    path("product-groups", ProductGroupsView.as_view(), name="product-groups"),
    path("products", ProductsView.as_view(), name="products"),
    path("products/<str:uid>", ProductDetailView.as_view(), name="product"),
    path("price-lists", PriceListsView.as_view(), name="price-lists"),
    path("prices", PricesView.as_view(), name="prices"),
    path("cost-prices", CostPricesView.as_view(), name="cost-prices"),
    path("stores", StoresView.as_view(), name="stores"),
    path("stores/<str:uid>", StoreDetailView.as_view(), name="store"),
    path("purchase-orders", PurchaseOrdersView.as_view(), name="purchase-orders"),
    path("purchase-orders/<str:uid>", PurchaseOrderDetailView.as_view(), name="purchase-order"),
    path("stock", StockView.as_view(), name="stock"),
]
