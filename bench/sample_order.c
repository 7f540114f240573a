/*
 * kavro benches - the sample ServiceOrderCreated event (see sample_order.h).
 */
#include "sample_order.h"

void kb_sample_order(service_order_created_t *v) {
  service_order_created_init(v);
  v->event_id = kavro_str("6f1c2d3e-0000-4000-8000-000000000002");
  v->event_timestamp = 1710408413589;
  v->service_order_id = kavro_str("SO-2001");
  v->project_id = kavro_str("PRJ-1001");
  v->service_type = kavro_str("INSTALLATION");
  v->country_code = kavro_str("FR");
  v->bu_code = kavro_str("LM-FR");
  v->estimated_duration_min = 240;
  v->requires_confirmation_tv = true;
  v->has_depends_on_order_id = true;
  v->depends_on_order_id = kavro_str("SO-1999");
}
