/*
 * kavro benches - the PyxisOrderCreated pool (see sample_pyxis.h).
 */
#include "sample_pyxis.h"

/* The texts of one event: sized for the longest each field gets. */
typedef struct pyxis_text_s {
  char event_id[KB_UUID_SIZE], pyxis_order_id[24], bu_code[8], store_id[16],
      customer_id[16], email[48], phone[20], street[48], postal_code[8],
      raw_payload[192];
  char product_ids[KB_PYXIS_PRODUCTS][16];
} pyxis_text_t;

static pyxis_text_t pool_text[KB_POOL_SIZE];
static product_t pool_products[KB_POOL_SIZE][KB_PYXIS_PRODUCTS];

#define POOL_TEXT(t, field, ...)                                               \
  kb_pool_printf((t)->field, sizeof((t)->field), __VA_ARGS__)

static const char *pick(const char *const *list, size_t count, uint64_t r) {
  return list[r % count];
}
#define PICK(list, r) pick(list, sizeof(list) / sizeof(list[0]), r)

static void pool_customer(customer_info_t *c, pyxis_text_t *t,
                          uint64_t *state) {
  static const char *const names[] = {
      "Li Wei", "Ana Sousa", "Jean-Baptiste Lefebvre", "Marta Kowalska",
      "Giulia Bianchi", "Joao Pedro Carvalho dos Santos"};
  static const char *const domains[] = {"example.com", "mail.example.org",
                                        "correo.example.es"};
  uint64_t r = kb_splitmix64(state);
  c->customer_id = POOL_TEXT(t, customer_id, "C-%lu", kb_varied_number(r));
  c->name = kavro_str(PICK(names, r >> 8));
  c->email = POOL_TEXT(t, email, "customer.%lu@%s",
                       kb_varied_number(kb_splitmix64(state)),
                       PICK(domains, r >> 16));
  c->phone = POOL_TEXT(t, phone, "+33 %lu", kb_varied_number(r >> 24));
}

static void pool_address(delivery_address_t *a, pyxis_text_t *t,
                         const char *country, uint64_t *state) {
  static const char *const streets[] = {"rue de la Paix", "Calle Mayor",
                                        "ulica Marszalkowska",
                                        "Avenida da Liberdade"};
  static const char *const cities[] = {"Lille", "Madrid", "Warszawa",
                                       "Lisboa", "Roma", "Sao Paulo"};
  uint64_t r = kb_splitmix64(state);
  a->street = POOL_TEXT(t, street, "%lu %s", kb_varied_number(r) % 1000 + 1,
                        PICK(streets, r >> 8));
  a->city = kavro_str(PICK(cities, r >> 16));
  a->postal_code = POOL_TEXT(t, postal_code, "%05lu",
                             (unsigned long)(r >> 24) % 100000);
  a->country = kavro_str(country);
}

static void pool_products_of(pyxis_order_created_t *v, product_t *items,
                             pyxis_text_t *t, uint64_t *state) {
  static const char *const types[] = {"INSTALLATION", "MEASUREMENT", "REPAIR",
                                      "DELIVERY", "TECHNICAL_VISIT"};
  for (int i = 0; i < KB_PYXIS_PRODUCTS; i++) {
    uint64_t r = kb_splitmix64(state);
    items[i].product_id =
        POOL_TEXT(t, product_ids[i], "P-%lu", kb_varied_number(r));
    items[i].quantity = 1 + (int32_t)((r >> 32) % (r & 0x100 ? 200 : 9));
    items[i].service_type = kavro_str(PICK(types, r >> 40));
  }
  v->products.count = KB_PYXIS_PRODUCTS;
  v->products.items = items;
}

/* The original payload as a JSON text of some tens to some hundreds of
 * bytes. */
static kavro_str_t pool_payload(pyxis_text_t *t,
                                const pyxis_order_created_t *v,
                                uint64_t *state) {
  uint64_t r = kb_splitmix64(state);
  return POOL_TEXT(t, raw_payload,
                   "{\"order\":\"%.*s\",\"lines\":%d,\"note\":\"%.*s\"}",
                   (int)v->pyxis_order_id.length, v->pyxis_order_id.data,
                   KB_PYXIS_PRODUCTS, (int)(r % 120),
                   "please call the customer the day before to confirm the "
                   "time slot; the site is on the third floor, no lift");
}

static void pool_event(pyxis_order_created_t *v, pyxis_text_t *t,
                       product_t *items, uint64_t *state) {
  static const char *const countries[] = {"FR", "ES", "IT", "PL", "PT", "BR"};
  pyxis_order_created_init(v);
  v->event_id = kb_pool_uuid(t->event_id, state);
  uint64_t r = kb_splitmix64(state);
  v->event_timestamp = 1700000000000 + (int64_t)(r % 100000000000);
  r = kb_splitmix64(state);
  v->pyxis_order_id =
      POOL_TEXT(t, pyxis_order_id, "PYX-%lu-%lu", kb_varied_number(r),
                kb_varied_number(r >> 24));
  /* Producers never write UNKNOWN (SalesChannel's doc). */
  v->sales_channel = (sales_channel_t)((r >> 48) % SALES_CHANNEL_UNKNOWN);
  const char *country = PICK(countries, r >> 52);
  v->country_code = kavro_str(country);
  v->bu_code = POOL_TEXT(t, bu_code, "%s-%s", (r >> 56) % 2 ? "LM" : "BR",
                         country);
  r = kb_splitmix64(state);
  v->has_store_id = r & 1;
  if (v->has_store_id)
    v->store_id = POOL_TEXT(t, store_id, "%s-%lu", country,
                            kb_varied_number(r >> 1) % 1000);
  pool_customer(&v->customer, t, state);
  pool_products_of(v, items, t, state);
  pool_address(&v->address, t, country, state);
  v->raw_payload = pool_payload(t, v, state);
}

void kb_pyxis_pool(pyxis_order_created_t pool[KB_POOL_SIZE]) {
  uint64_t state = KB_POOL_SEED;
  for (size_t i = 0; i < KB_POOL_SIZE; i++)
    pool_event(&pool[i], &pool_text[i], pool_products[i], &state);
}

static limit_str_t limit_str(kavro_str_t s) {
  return (limit_str_t){s.data, s.length};
}

void kb_limit_pyxis(limit_pyxis_t *h, limit_product_t *products,
                    const pyxis_order_created_t *v) {
  h->event_id = limit_str(v->event_id);
  h->event_timestamp = v->event_timestamp;
  h->pyxis_order_id = limit_str(v->pyxis_order_id);
  h->sales_channel = (unsigned)v->sales_channel;
  h->country_code = limit_str(v->country_code);
  h->bu_code = limit_str(v->bu_code);
  h->has_store_id = v->has_store_id;
  h->store_id = limit_str(v->store_id);
  h->customer_id = limit_str(v->customer.customer_id);
  h->customer_name = limit_str(v->customer.name);
  h->customer_email = limit_str(v->customer.email);
  h->customer_phone = limit_str(v->customer.phone);
  for (size_t i = 0; i < v->products.count; i++) {
    const product_t *p = &v->products.items[i];
    products[i] = (limit_product_t){limit_str(p->product_id), p->quantity,
                                    limit_str(p->service_type)};
  }
  h->product_count = v->products.count;
  h->products = products;
  h->street = limit_str(v->address.street);
  h->city = limit_str(v->address.city);
  h->postal_code = limit_str(v->address.postal_code);
  h->country = limit_str(v->address.country);
  h->raw_payload = limit_str(v->raw_payload);
}
