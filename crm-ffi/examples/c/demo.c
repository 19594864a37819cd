/* Creates a tenant, a customer and a ticket through the crm C ABI, and reads them back.
 *
 *   make -C crm-ffi install PREFIX=$HOME/.local      # the library, crm.h and crm.pc
 *   export PKG_CONFIG_PATH=$HOME/.local/lib/pkgconfig LD_LIBRARY_PATH=$HOME/.local/lib
 *   cc -Wall -Werror crm-ffi/examples/c/demo.c $(pkg-config --cflags --libs crm) -o demo
 *   ./demo [DB_PATH]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm.h"

/* Sends one request, prints it and its response, and fails unless the response is ok. */
static int call(CrmHandle *crm, const char *request, char *out, size_t out_len) {
    char *response = crm_call(crm, request);
    printf("-> %s\n<- %s\n", request, response);
    int ok = strncmp(response, "{\"ok\":true", 10) == 0;
    if (out != NULL) {
        snprintf(out, out_len, "%s", response);
    }
    crm_string_free(response);
    return ok;
}

/* The integer after `"key":` in a JSON text, or -1. */
static long field(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *at = strstr(json, pattern);
    return at == NULL ? -1 : strtol(at + strlen(pattern), NULL, 10);
}

int main(int argc, char **argv) {
    /* A library of another C ABI than the header this was built with would be misused. */
    if (crm_abi_version() != CRM_ABI_VERSION) {
        fprintf(stderr, "libcrm speaks C ABI %u, crm.h is for %u\n", crm_abi_version(),
                (unsigned)CRM_ABI_VERSION);
        return 1;
    }
    const char *path = argc > 1 ? argv[1] : ":memory:";
    CrmHandle *crm = NULL;
    char *error = NULL;
    if (crm_open(path, NULL, &crm, &error) != CRM_OK) {
        fprintf(stderr, "crm_open failed: %s\n", error);
        crm_string_free(error);
        return 1;
    }
    printf("crm %s (C ABI %u)\n", crm_version(), crm_abi_version());

    char response[4096];
    char request[1024];
    if (!call(crm,
              "{\"method\":\"tenants.create\",\"params\":{\"tenantId\":\"acme\",\"name\":\"Acme\","
              "\"admin\":{\"name\":\"Ada\",\"email\":\"ada@acme.test\"}}}",
              response, sizeof response)) {
        return 1;
    }
    long admin = field(strstr(response, "\"admin\""), "id");

    snprintf(request, sizeof request,
             "{\"method\":\"customers.create\",\"tenantId\":\"acme\",\"actorId\":%ld,"
             "\"params\":{\"name\":\"Grace Hopper\",\"email\":\"grace@navy.test\",\"externalId\":\"c-1\"}}",
             admin);
    if (!call(crm, request, response, sizeof response)) return 1;
    long customer = field(response, "id");

    snprintf(request, sizeof request,
             "{\"method\":\"tickets.create\",\"tenantId\":\"acme\",\"actorId\":%ld,"
             "\"params\":{\"customerId\":%ld,\"subject\":\"Moth in relay 70\",\"channel\":\"phone\"}}",
             admin, customer);
    if (!call(crm, request, response, sizeof response)) return 1;
    long ticket = field(response, "id");

    snprintf(request, sizeof request,
             "{\"method\":\"customers.get\",\"tenantId\":\"acme\",\"params\":{\"externalId\":\"c-1\"}}");
    if (!call(crm, request, response, sizeof response) || strstr(response, "Grace Hopper") == NULL) return 1;

    snprintf(request, sizeof request, "{\"method\":\"tickets.get\",\"tenantId\":\"acme\",\"params\":{\"id\":%ld}}",
             ticket);
    if (!call(crm, request, response, sizeof response) || field(response, "customerId") != customer) return 1;

    /* Errors are responses too. */
    call(crm, "{\"method\":\"customers.create\",\"tenantId\":\"acme\",\"actorId\":1,\"params\":{\"name\":\"\"}}",
         response, sizeof response);
    if (strstr(response, "\"field\":\"name\"") == NULL) return 1;
    char *bad = crm_call(crm, NULL);
    int refused = strstr(bad, "invalid_request") != NULL;
    crm_string_free(bad);
    if (!refused) return 1;

    crm_close(crm);
    printf("ok\n");
    return 0;
}
