"""The Qt desktop app; nothing imported at start-up here may import torch (the window paints first)."""
