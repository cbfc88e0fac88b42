# esf-mqtt sources (included by user/Makefile; paths relative to user/).
# A oneM2M MQTT client for applications and tests; it links esfd's core for
# the primitives and the broker connection, and libesf for status names.
MQTTC_SRCS += mqttc/main.c mqttc/request.c mqttc/serve.c mqttc/bridge.c
