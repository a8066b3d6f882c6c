package store_test

import (
	"context"
	"slices"
	"testing"

	"github.com/accessbridge/accessbridge/bridge/store"
	"github.com/accessbridge/accessbridge/bridge/store/storetest"
)

func TestInsertAcceptedBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		if _, err := st.InsertDelivery(ctx, st.DB(), store.Delivery{Source: "jira", DeliveryID: "old", Status: store.DeliveryAccepted}); err != nil {
			t.Fatal(err)
		}
		batch := []store.Delivery{
			{Source: "jira", DeliveryID: "a"}, {Source: "jira", DeliveryID: "old"}, {Source: "jira", DeliveryID: "a"},
			{Source: "github", DeliveryID: "a"}, {Source: "jira", DeliveryID: "b"},
		}
		fresh, err := st.InsertAccepted(ctx, st.DB(), batch)
		if err != nil {
			t.Fatal(err)
		}
		if want := []bool{true, false, false, true, true}; !slices.Equal(fresh, want) {
			t.Fatalf("fresh = %v, want %v", fresh, want)
		}
		counts, err := st.CountDeliveries(ctx)
		if err != nil || counts[store.DeliveryAccepted] != 4 {
			t.Fatalf("accepted rows = %v, %v", counts, err)
		}
	})
}
