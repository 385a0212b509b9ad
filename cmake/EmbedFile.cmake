# EmbedFile.cmake: writes a C source that holds a binary file as a byte array.
# cmake -DINPUT=f.bc -DOUTPUT=f.c -DSYMBOL=name -P EmbedFile.cmake
# (no xxd on a fresh machine; CMake's hex reading is enough for a few MB)
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hexlen)
math(EXPR nbytes "${hexlen} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" body "${body}")
file(WRITE "${OUTPUT}" "/* generated from ${INPUT} by cmake/EmbedFile.cmake: do not edit */\n#include <stddef.h>\nconst unsigned char ${SYMBOL}[] = {\n${body}0};\nconst size_t ${SYMBOL}_len = ${nbytes};\n")
