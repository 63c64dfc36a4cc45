/* cmd_ops.c — `dlc ops [--json]`: the operators dlc accepts, read from the
 * operator table (ir/ir.h): domain, input and output counts, the property
 * columns that restrict how a model may use them (inputs that must be
 * constants, ...) and every attribute with its kind and default. The table
 * is the one source: what this prints is what the frontend and verifier
 * enforce. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"

static const char OPS_HELP[] =
    "usage: dlc ops [--json]\n"
    "\n"
    "Lists the operators dlc accepts, from its operator table: name, domain\n"
    "(ONNX's default or dlc's own), input and output counts, properties and\n"
    "restrictions (e.g. 'constant inputs': some inputs must be constants),\n"
    "and the attributes with their defaults (required ones marked '!').\n"
    "\n"
    "  --json   one JSON array: [{\"name\", \"domain\", \"inputs\": [min, max],\n"
    "           \"outputs\": [min, max], \"properties\": [...],\n"
    "           \"attributes\": [{\"name\", \"kind\", \"required\",\n"
    "           \"default\"}]}]; max is null for any number\n";

static const struct {
  unsigned flag;
  const char *text;
} PROPERTIES[] = {
    {DLC_OPF_ELEMENTWISE, "element-wise (broadcasting)"},
    {DLC_OPF_HAS_WEIGHTS, "weights (second input normally constant)"},
    {DLC_OPF_FUSABLE_ACT, "fusable activation"},
    {DLC_OPF_SHAPE_ONLY, "data movement only"},
    {DLC_OPF_CONSTANT_IN, "constant inputs (shape/axes inputs must be "
                          "constants)"},
    {DLC_OPF_VIEW, "view (the output renames input 0)"},
};
enum { N_PROPERTIES = sizeof PROPERTIES / sizeof PROPERTIES[0] };

/* "3", "2..3", "1+" */
static const char *arity(int lo, int hi, char *buf, size_t size) {
  if (hi == DLC_VARIADIC)
    snprintf(buf, size, "%d+", lo);
  else if (lo == hi)
    snprintf(buf, size, "%d", lo);
  else
    snprintf(buf, size, "%d..%d", lo, hi);
  return buf;
}

/* An attribute's default as text: 1, 0.0001, "NOTSET", or [] for lists. */
static void put_default(const dlc_attr_schema *a, FILE *f) {
  switch (a->kind) {
  case DLC_ATTR_INT:
    fprintf(f, "%lld", (long long)a->default_i);
    break;
  case DLC_ATTR_FLOAT:
    fprintf(f, "%g", a->default_f);
    break;
  case DLC_ATTR_STRING:
    fprintf(f, "\"%s\"", a->default_s ? a->default_s : "");
    break;
  default:
    fputs("[]", f);
  }
}

static void print_row(const dlc_op_info *op) {
  char in[32], out[32];
  printf("%-24s %-4s in %-5s out %-5s", op->name,
         op->domain[0] ? op->domain : "onnx", arity(op->min_inputs, op->max_inputs, in, sizeof in),
         arity(op->min_outputs, op->max_outputs, out, sizeof out));
  const char *sep = " ";
  for (int p = 0; p < N_PROPERTIES; p++)
    if (op->flags & PROPERTIES[p].flag) {
      printf("%s%s", sep, PROPERTIES[p].text);
      sep = "; ";
    }
  putchar('\n');
  for (const dlc_attr_schema *a = op->attrs; a->name; a++) {
    printf("%28s%s%s = ", "", a->name, a->required ? "!" : "");
    if (a->required)
      fputs("(required)", stdout);
    else
      put_default(a, stdout);
    putchar('\n');
  }
}

static cJSON *json_range(int lo, int hi) {
  cJSON *r = cJSON_CreateArray();
  cJSON_AddItemToArray(r, cJSON_CreateNumber(lo));
  cJSON_AddItemToArray(r, hi == DLC_VARIADIC ? cJSON_CreateNull()
                                             : cJSON_CreateNumber(hi));
  return r;
}

static cJSON *json_attr(const dlc_attr_schema *a) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", a->name);
  cJSON_AddStringToObject(o, "kind", dlc_attr_kind_name(a->kind));
  cJSON_AddBoolToObject(o, "required", a->required);
  cJSON *def;
  if (a->required)
    def = cJSON_CreateNull();
  else if (a->kind == DLC_ATTR_INT)
    def = cJSON_CreateNumber((double)a->default_i);
  else if (a->kind == DLC_ATTR_FLOAT)
    def = cJSON_CreateNumber(a->default_f);
  else if (a->kind == DLC_ATTR_STRING)
    def = cJSON_CreateString(a->default_s ? a->default_s : "");
  else
    def = cJSON_CreateArray(); /* lists default to empty */
  cJSON_AddItemToObject(o, "default", def);
  return o;
}

static cJSON *json_op(const dlc_op_info *op) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "name", op->name);
  cJSON_AddStringToObject(o, "domain", op->domain);
  cJSON_AddItemToObject(o, "inputs", json_range(op->min_inputs, op->max_inputs));
  cJSON_AddItemToObject(o, "outputs",
                        json_range(op->min_outputs, op->max_outputs));
  cJSON *props = cJSON_AddArrayToObject(o, "properties");
  for (int p = 0; p < N_PROPERTIES; p++)
    if (op->flags & PROPERTIES[p].flag)
      cJSON_AddItemToArray(props, cJSON_CreateString(PROPERTIES[p].text));
  cJSON *attrs = cJSON_AddArrayToObject(o, "attributes");
  for (const dlc_attr_schema *a = op->attrs; a->name; a++)
    cJSON_AddItemToArray(attrs, json_attr(a));
  return o;
}

int dlc_cmd_ops(int argc, char **argv) {
  bool json = false;
  for (int i = 1; i < argc; i++) {
    if (dlc_cli_is_help(argv[i])) {
      fputs(OPS_HELP, stdout);
      return DLC_EXIT_OK;
    }
    if (strcmp(argv[i], "--json") != 0)
      return dlc_cli_usage_error("ops: unknown option or argument '%s'",
                                 argv[i]);
    json = true;
  }
  if (!json) {
    for (int i = 0; i < dlc_op_count(); i++)
      print_row(dlc_op_get_info((dlc_op)i));
    printf("%d operators\n", dlc_op_count());
    return DLC_EXIT_OK;
  }
  cJSON *all = cJSON_CreateArray();
  for (int i = 0; i < dlc_op_count(); i++)
    cJSON_AddItemToArray(all, json_op(dlc_op_get_info((dlc_op)i)));
  char *text = cJSON_Print(all);
  DLC_ASSERT(text != NULL);
  printf("%s\n", text);
  free(text);
  cJSON_Delete(all);
  return DLC_EXIT_OK;
}
