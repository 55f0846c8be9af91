# Writes OUT, a C file holding every meetup script template in FILES
# (schema/templates/ID.json) as a struct meetup_template: its id, its title
# and its text.  Reading the title here makes a template that is not JSON,
# or has no title, fail the build rather than a later listing.
set(body "/* Generated from schema/templates by cmake/embed_templates.cmake. */\n")
string(APPEND body "#include <stddef.h>\n\n#include \"ruche/meetup_script.h\"\n\n")
string(APPEND body "extern const struct meetup_template meetup_template_table[];\n")
string(APPEND body "extern const size_t meetup_template_count;\n\n")
string(APPEND body "const struct meetup_template meetup_template_table[] = {\n")

# A C string literal of text, split at its line breaks.  '?' is escaped so
# that no "??" in a prompt reads as a trigraph under -std=c11.
function(c_literal text out)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "?" "\\?" text "${text}")
  string(REPLACE "\r" "\\r" text "${text}")
  string(REPLACE "\n" "\\n\"\n\"" text "${text}")
  set(${out} "\"${text}\"" PARENT_SCOPE)
endfunction()

set(count 0)
foreach(f ${FILES})
  get_filename_component(id ${f} NAME_WE)
  file(READ ${f} json)
  string(JSON title ERROR_VARIABLE err GET "${json}" title)
  if(err)
    message(FATAL_ERROR "${f}: no title: ${err}")
  endif()
  c_literal("${id}" cid)
  c_literal("${title}" ctitle)
  c_literal("${json}" cjson)
  string(APPEND body "\t{ ${cid}, ${ctitle},\n${cjson} },\n")
  math(EXPR count "${count} + 1")
endforeach()
# An empty table is not C: a last entry of NULLs that the count leaves out.
string(APPEND body "\t{ NULL, NULL, NULL },\n};\n\n")
string(APPEND body "const size_t meetup_template_count = ${count};\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
